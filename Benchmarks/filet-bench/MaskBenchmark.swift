// `swift build -c release && .build/release/filet-bench mask`: what masking costs per text, measured, never asserted.
import FiletRunbook
import Foundation

/// Masks a command's kept output (64 KiB of 80-column lines) and a short line with the secrets of a typical run:
/// three `secrets:` values and a webhook URL with its tokens; once with no secret in the text, once with a
/// secret in every 100th line.
func maskBenchmark() {
    var masker = Masker(secrets: ["Corpus-Secret-Alpha-7Q2x", "S3cr3t wïth/spâce+plus=9", "vpn-api-token-0123456789abcdef"])
    let hook = "https://hooks.example/services/T0000AAAA/B0000BBBB/XXXXXXXXXXXXXXXXXXXXXXXX"
    masker.add(hook)
    masker.addParts(ofURL: hook)
    let line = String(repeating: "2026-12-02T00:00:00Z INFO replica lag 12ms, all good; ", count: 2).prefix(79) + "\n"
    let clean = String(repeating: String(line), count: 64 * 1024 / 80)
    let dirty = (0..<(64 * 1024 / 80)).map { $0 % 100 == 0 ? "token Corpus-Secret-Alpha-7Q2x\n" : String(line) }.joined()
    print("filet-bench mask — 3 secrets and a webhook URL with its tokens; µs per text (best of 5 batches)")
    for (name, text, runs) in [
        ("one 80-byte line", String(line), 20_000), ("64 KiB, no secret", clean, 200), ("64 KiB, 8 secrets", dirty, 200),
    ] {
        var best = Double.infinity
        var kept = 0
        for _ in 0..<5 {
            let start = ContinuousClock.now
            for _ in 0..<runs { kept &+= masker(text).utf8.count }
            let elapsed = ContinuousClock.now - start
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            best = min(best, seconds * 1e6 / Double(runs))
        }
        print("\(name.padding(toLength: 24, withPad: " ", startingAt: 0)) \(format(best, 2).leftPadding(10))   (\(kept) bytes out)")
    }
}
