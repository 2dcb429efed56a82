import ArgumentParser

extension RunOptions {
    func validateSigning() throws {
        guard checkpointEvery >= 1 else { throw ValidationError("--checkpoint-every takes a number of records, at least 1") }
        guard checkpointSeconds >= 1 else { throw ValidationError("--checkpoint-seconds takes a number of seconds, at least 1") }
    }
}
