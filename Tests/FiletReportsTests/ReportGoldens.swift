import FiletNotify
import FiletRunbook
import Foundation

/// The whole rendered texts of the fixed run journal (`Tests/Fixtures/reports/20261129T093000Z-ab12.jsonl`),
/// with the times in UTC (the tests pass the zone: the host's does not matter).
extension ReportTests {
    /// `filet audit show` of the fixed run journal; the CLI test compares the real binary's output with the same file.
    static let showGolden =
        (try? String(contentsOfFile: ReportFixture.folder + "/audit-show-golden.txt", encoding: .utf8)) ?? "missing golden file"

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
        | Started | 2026-11-29 09:30:00 +00:00 |
        | Finished | 2026-11-29 09:30:06 +00:00 |
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
        | confirmer | granted | alice | 2026-11-29 09:30:04 +00:00 | typed 'yes' at the terminal |

        ## Failures

        - 2026-11-29 09:30:00 +00:00 check-portail attempt 1: HTTP 503, expected 200
        - 2026-11-29 09:30:06 +00:00 prevenir attempt 1: crise: HTTP 503; secours: connection refused
        - 2026-11-29 09:30:06 +00:00 prevenir (final): crise: HTTP 503; secours: connection refused

        ## Timeline

        | Step | Start | End | Duration | Status |
        |---|---|---|---|---|
        | check-portail | +0.010s | +0.513s | 0.5s | succeeded |
        | titre | +0.520s | +0.732s | 0.2s | succeeded |
        | confirmer | +0.740s | +4.201s | 3.5s | succeeded |
        | prevenir | +4.210s | +6.401s | 2.2s | failed |

        """
}
