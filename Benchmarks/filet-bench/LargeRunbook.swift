/// A deterministic, realistic runbook of any size for the benchmarks: about 480 bytes a step
/// so 5,000 steps make about 2.4 MB. Every generated runbook validates.
enum LargeRunbook {
    static func text(steps: Int) -> String {
        var out = """
            # Generated for filet-bench: \(steps) steps.
            runbook: bench-\(steps)
            title: "Exercice de charge : \(steps) étapes"
            description: |
              Runbook généré pour mesurer le parseur et la validation.
              Il couvre les formes courantes : listes, mappings en flux, blocs.
            version: 1
            vars:
              vpn: https://vpn.ville.example/health
              visio: visio.ville.example:443
            secrets: [FILET_CHAT_TOKEN]
            channels:
              crise:
                webhook: ${env.FILET_CHAT_WEBHOOK}
                format: mattermost
              journal: { file: ./filet-journal/notifications.jsonl }
            defaults: { timeout: 30s, retries: 1, backoff: 2s }
            steps:

            """
        let services = ["état-civil", "police-municipale", "services-techniques", "ccas", "écoles", "dsi", "voirie", "culture"]
        for index in 0..<steps {
            let id = "etape-\(index)"
            let service = services[index % services.count]
            out += "  # Étape \(index) : responsable \(service), à dérouler dans l'ordre de la fiche réflexe.\n"
            out += "  - id: \(id)\n"
            out += "    title: 'Étape \(index) : vérifier que le service \(service) est joignable et prêt à basculer'  # \(service)\n"
            if index > 0 && index % 10 == 0 { out += "    needs: [etape-\(index - 1), etape-\(index - 10)]\n" }
            switch index % 5 {
            case 0:
                out += "    check: { http: \"${vars.vpn}\", status: [200, 204], contains: ok, max_latency: 2s }\n"
            case 1:
                out += "    check:\n      tcp: \"${vars.visio}\"\n"
            case 2:
                out += "    run: >-\n      echo \"bascule du service \(service)\"\n      && test -d /tmp\n"
                out += "    env: { SERVICE: \"\(service)\", ETAPE: \"\(index)\", JOURNAL: /var/log/filet/\(id).log }\n"
                out += "    retries: 2\n    backoff: 500ms\n    idempotent: false\n    undo: echo annulation \(index)\n"
            case 3:
                out += "    notify:\n      channel: \(index % 2 == 0 ? "crise" : "journal")\n"
                out += "      text: \"Service \(service) prévenu (${run.id}) — sortie : ${steps.etape-\(index - 1).output}\"\n"
                out += "      severity: warning\n"
            default:
                out += "    wait: 1s\n    when: steps.etape-\(index - 1).status == 'succeeded' and mode == 'run'\n"
            }
            out += "    timeout: 1m30s\n    drill: \(index % 5 == 2 ? "simulate" : "run")\n"
            out += "    on_failure: \(index % 7 == 0 ? "continue" : "abort")\n\n"
        }
        out += "finally:\n  - id: compte-rendu\n    notify: { channel: crise, text: \"Fin : ${run.status}\" }\n"
        return out
    }
}
