/// The whole rendered texts of the fixed run journal (`Tests/Fixtures/reports/20261129T093000Z-ab12.jsonl`).
extension ReportTests {
    static let showGolden = """
        Run 20261129T093000Z-ab12: bascule-mairie v3 — Bascule "site B" — mairie (run)
          operator alice on host mairie-01, runbook SHA-256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
          started 2026-11-29T09:30:00.000Z, finished 2026-11-29T09:30:06.420Z

        +0.000s   09:30:00.000  run.started                        runbook bascule-mairie v3; mode run; operator alice; host mairie-01
        +0.010s   09:30:00.010  step.started     check-portail     check.http; Le portail répond
        +0.105s   09:30:00.105  step.attempt     check-portail #1  failed: GET HTTP 503 in 93 ms; reason: HTTP 503, expected 200
        +0.512s   09:30:00.512  step.attempt     check-portail #2  succeeded: GET HTTP 200 in 81 ms
        +0.513s   09:30:00.513  step.finished    check-portail     succeeded: 2 attempts; 503 ms
        +0.520s   09:30:00.520  step.started     titre             run; <script>alert(1)</script>
        +0.731s   09:30:00.731  step.attempt     titre #1          succeeded: exit 0; stdout: a & b <ok>
        +0.732s   09:30:00.732  step.finished    titre             succeeded: 1 attempt; 212 ms
        +0.740s   09:30:00.740  step.started     confirmer         confirm; Feu vert du maire
        +4.200s   09:30:04.200  step.attempt     confirmer #1      succeeded: confirmed by alice; typed 'yes' at the terminal
        +4.200s   09:30:04.200  confirm.granted  confirmer         granted: by alice; typed 'yes' at the terminal
        +4.201s   09:30:04.201  step.finished    confirmer         succeeded: 1 attempt; 3461 ms
        +4.210s   09:30:04.210  step.started     prevenir          notify; Prévenir les services
        +6.400s   09:30:06.400  step.attempt     prevenir #1       failed: undelivered; in the outbox: filet-journal/outbox/20261129T093000Z-ab12-prevenir.json; reason: crise: HTTP 503; secours: connection refused
        +6.401s   09:30:06.401  step.finished    prevenir          failed: 1 attempt; 2191 ms; reason: crise: HTTP 503; secours: connection refused
        +6.420s   09:30:06.420  run.finished                       failed: 6420 ms; 3 succeeded; 1 failed; 0 skipped; 0 cancelled

        Summary
          status: failed in 6.4s (3 succeeded, 1 failed)
          records: 16, steps: 4
          notification prevenir: undelivered (tried crise: HTTP 503, secours: connection refused), waiting in the outbox (filet-journal/outbox/20261129T093000Z-ab12-prevenir.json)
          confirmation confirmer: granted by alice at 2026-11-29T09:30:04.200Z (typed 'yes' at the terminal)
          integrity: intact: verified 1..16 of 16 records (hash chain), run closed

        """

    static let markdownGolden = """
        # Run report: Bascule "site B" — mairie

        | | |
        |---|---|
        | Runbook | bascule-mairie — Bascule "site B" — mairie |
        | Version | 3 |
        | Runbook SHA-256 | 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 |
        | Run | 20261129T093000Z-ab12 |
        | Mode | run |
        | Operator | alice |
        | Host | mairie-01 |
        | Started | 2026-11-29T09:30:00.000Z |
        | Finished | 2026-11-29T09:30:06.420Z |
        | Duration | 6.4s |
        | Status | **failed** (3 succeeded, 1 failed) |
        | Integrity | intact: verified 1..16 of 16 records (hash chain), run closed |

        ## Steps

        | Step | Action | Status | Attempts | Duration | Observed |
        |---|---|---|---|---|---|
        | check-portail — Le portail répond | check.http | succeeded | 2 | 0.5s | GET HTTP 200 in 81 ms |
        | titre — &lt;script&gt;alert(1)&lt;/script&gt; | run | succeeded | 1 | 0.2s | exit 0; stdout: a &amp; b &lt;ok&gt; |
        | confirmer — Feu vert du maire | confirm | succeeded | 1 | 3.5s | confirmed by alice; typed 'yes' at the terminal |
        | prevenir — Prévenir les services | notify | failed | 1 | 2.2s | undelivered; in the outbox: filet-journal/outbox/20261129T093000Z-ab12-prevenir.json; reason: crise: HTTP 503; secours: connection refused |

        ## Notifications

        | Step | Channel | Outcome | Delivered | Outbox |
        |---|---|---|---|---|
        | prevenir | crise | undelivered | — | waiting: filet-journal/outbox/20261129T093000Z-ab12-prevenir.json |

        ## Confirmations

        | Step | Decision | By | When | How |
        |---|---|---|---|---|
        | confirmer | granted | alice | 2026-11-29T09:30:04.200Z | typed 'yes' at the terminal |

        ## Failures

        - 2026-11-29T09:30:00.105Z check-portail attempt 1: HTTP 503, expected 200
        - 2026-11-29T09:30:06.400Z prevenir attempt 1: crise: HTTP 503; secours: connection refused
        - 2026-11-29T09:30:06.401Z prevenir (final): crise: HTTP 503; secours: connection refused

        ## Timeline

        | Step | Start | End | Duration | Status |
        |---|---|---|---|---|
        | check-portail | +0.010s | +0.513s | 0.5s | succeeded |
        | titre | +0.520s | +0.732s | 0.2s | succeeded |
        | confirmer | +0.740s | +4.201s | 3.5s | succeeded |
        | prevenir | +4.210s | +6.401s | 2.2s | failed |

        """
}
