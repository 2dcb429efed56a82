/// The words generated documents are made of: ASCII, French and other non-ASCII text,
/// numbers, URLs, shell fragments, interpolations and deliberately awkward pieces
/// (quotes, backslashes, '#', ':' and YAML indicators inside and at the start of words).
enum Vocabulary {
    static let english = [
        "restart", "the", "api", "gateway", "drain", "node", "check", "database", "failover", "primary",
        "replica", "cache", "flush", "rollback", "deploy", "canary", "traffic", "shift", "alert", "on-call",
        "verify", "status", "latency", "error", "budget", "region", "queue", "worker", "promote", "fence",
        "disk", "pressure", "page", "incident", "commander", "scale", "out", "in", "and", "then", "wait",
        "for", "healthy", "if", "not", "green", "escalate", "to", "backup", "snapshot", "restore", "DNS",
        "TTL", "load", "balancer", "pool", "certificate", "expiry", "rotate", "keys", "mTLS", "Kafka",
    ]

    static let french = [
        "évacuer", "sécurité", "déploiement", "réplica", "bascule", "équipe", "astreinte", "vérifier",
        "où", "Noël", "œuvre", "à", "ça", "garçon", "naïve", "forêt", "hôpital", "être", "déjà", "reçu",
        "l'équipe", "aujourd'hui", "c'est", "prêt", "Élodie", "crème", "brûlée", "août", "Zoë", "cœur",
    ]

    static let otherScripts = ["Zürich", "straße", "日本語", "データ", "Ελλάδα", "русский", "🚨", "✓", "🔥fire", "naïveté", "ﬁ"]

    static let numbers = [
        "0", "1", "42", "007", "3.14", "-1", "+7", "1e3", "0x1F", "0o17", "1_000", "2024-06-01", "12:30", "99%", ".5", "1.0e-3",
    ]

    static let durations = ["500ms", "1s", "2s", "10s", "30s", "45s", "1m", "5m", "15m", "1h", "1h30m", "2m30s"]

    static let urls = [
        "https://status.example.com:443/health",
        "http://10.0.0.1:8080/metrics?x=1&y=2",
        "https://hooks.slack.com/services/T000/B000/XXXX",
        "https://chat.example.org:443/hooks/abc-123",
        "ftp://files.example.org/archive#section-2",
        "postgres://app:s3cret@db.internal:5432/orders",
        "https://example.com/search?q=a%20b#top",
        "redis://cache-1:6379/0",
        "https://api.example.com:443/v2/items?limit=10&sort=-date",
        "mailto:oncall@example.com",
    ]

    static let awkward = [
        "C#", "issue#42", "a#b", "#hashtag", "${vars.region}", "${vars.service}", "${steps.check-api.output}",
        "\"quoted\"", "'single'", "it's", "say \"hi\"", "C:\\Windows\\Temp", "back\\slash", "\\n", "50%",
        "@here", "`code`", "a:b", "key=value", "x,y", "[tag]", "{brace}", "a|b", "a>b", "~", "null", "yes",
        "no", "true", "*star", "&amp", "!bang", "-flag", "--long-option", "?query", ":colon", "<<", "---",
        "...", "-", "a:", "a: b", "x #y", "%20", "'", "\"", "\\", "a,b", "]", "}", "[", "{", "|", ">", "!",
        "&", "*", "?", ":", "#", "%", "@", "`", "$HOME", "$(date)", "2>&1", "a && b", "'a' \"b\"",
    ]

    /// Characters that can only be written escaped in a double-quoted scalar. (U+FEFF never
    /// starts a scalar: Yams decodes scalars with Foundation, which drops a leading U+FEFF.)
    static let escapeOnly: [String] = [
        "\u{7}", "\u{1B}", "\u{7F}", "\u{85}", "\u{9F}", "\u{202E}", "\u{2028}", "\u{2029}", "zero\u{FEFF}width", "\r", "\u{1}",
    ]

    static let identifiers = [
        "check-api", "drain", "promote-replica", "notify-oncall", "flush_cache", "dns-cutover", "verify",
        "step1", "step-2", "rollback", "wait-healthy", "page", "restore_db", "scale-out", "confirm-go",
    ]

    static let commands = [
        "kubectl rollout restart deploy/${vars.service} -n prod",
        "curl -fsS https://status.example.com:443/health | jq -r '.status'",
        "systemctl restart nginx && systemctl is-active nginx",
        "pg_ctl promote -D /var/lib/postgresql/data",
        "echo \"failover to ${vars.region}\" >> /var/log/failover.log",
        "aws route53 change-resource-record-sets --hosted-zone-id Z123 --change-batch file://cutover.json",
        "test -f /tmp/ready || exit 1",
        "grep -c 'ERROR' /var/log/app.log # count errors",
        "for h in a b c; do ssh \"$h\" uptime; done",
        "redis-cli -h cache-1 -p 6379 FLUSHALL",
    ]

    static let channelFormats = ["generic", "slack", "mattermost", "teams", "rocketchat"]

    static let keys = [
        "runbook", "title", "description", "owner", "version", "vars", "secrets", "channels", "defaults",
        "steps", "finally", "id", "needs", "when", "timeout", "retries", "backoff", "on_failure", "idempotent",
        "drill", "undo", "check", "run", "notify", "confirm", "wait", "http", "status", "contains",
        "max_latency", "tcp", "dns", "channel", "text", "severity", "webhook", "file", "format", "labels",
        "region", "service", "env", "notes", "tags", "matrix", "hosts", "ports",
    ]

    static let awkwardKeys = [
        "with space", "x.y", "a/b", "C#", "é", "${vars.x}", "a:b", "key: colon", "hash #key", "'quoted'",
        "\"dq\"", "-dash", "?q", "[x]", "it's", "tab\there", "trailing ", " leading", "<<", "日本",
        "line\nbreak", "", "null", "~", "@at", "`tick`", "%pct", "a,b", "{x}", "!t", "&a", "*a", "|", ">",
    ]
}
