import FiletActions
import FiletRunbook

extension Executor {
    /// Resolves every interpolation of an action with what the run knows now. A check keeps to `timeout`, the step's.
    func prepare(_ action: Action, context: RunContext, timeout: Duration? = nil) -> PreparedAction {
        switch action {
        case .run(let command):
            return .command(
                context.command(
                    command.command, shell: command.shell,
                    environment: Dictionary(
                        command.environment.map { ($0.name, context.render($0.value)) }, uniquingKeysWith: { _, last in last }),
                    workingDirectory: command.workdir.map(context.render), expectedExit: command.expectedExit))
        case .check(.http(let check)):
            return .http(
                PreparedHTTPCheck(
                    url: context.render(check.url), method: check.method,
                    headers: check.headers.map { ($0.name, context.render($0.value)) },
                    statuses: check.statuses, contains: check.contains.map(context.render), maxLatency: check.maxLatency?.duration,
                    timeout: timeout))
        case .check(.tcp(let target)):
            let text = context.render(target)
            let (host, port) = Self.hostAndPort(text)
            return .tcp(host: host, port: port, timeout: timeout)
        case .check(.dns(let name)):
            return .dns(name: context.render(name), timeout: timeout)
        case .notify(let notification):
            let text = context.render(notification.text)
            return .notify(
                channel: notification.channel, text: context.mode == .drill ? "\(configuration.drillPrefix) \(text)" : text,
                severity: notification.severity, undelivered: notification.undelivered)
        case .confirm(let confirmation):
            return .confirm(prompt: context.render(confirmation.prompt), approvers: confirmation.approvers)
        case .wait(let duration):
            return .wait(duration.duration)
        }
    }

    /// Splits `host:port` or `[v6]:port`; a missing or bad port becomes 0, which the check reports.
    static func hostAndPort(_ text: String) -> (String, Int) {
        guard let colon = text.lastIndex(of: ":") else { return (text, 0) }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host, Int(text[text.index(after: colon)...]) ?? 0)
    }
}

extension RunContext {
    /// A `run` command or an `undo` with the values the run knows now, each in the variable its script names.
    func command(
        _ script: ShellScript, shell: String, environment: [String: String] = [:], workingDirectory: String? = nil,
        expectedExit: Int32 = 0
    ) -> PreparedCommand {
        PreparedCommand(
            shell: shell, script: script.script,
            values: script.bindings.map { ($0, value(of: $0.reference) ?? "") },
            shown: render(script.template), environment: environment, workingDirectory: workingDirectory, expectedExit: expectedExit)
    }
}
