import Crypto
import Foundation

#if canImport(Glibc)
    import Glibc
    import FiletSupport
#elseif canImport(Darwin)
    import Darwin
    import FiletSupport
#endif

/// The private half of an Ed25519 key pair that signs a journal's checkpoints.
///
/// File format (`filet-signing.key`, mode 0600), text, one header line then one line of base64:
///
///     # filet-signing-key ed25519 private v1
///     <base64 of the 32-byte Ed25519 seed>
public struct SigningKey: Sendable {
    let key: Curve25519.Signing.PrivateKey

    /// A new random key pair.
    public static func generate() -> SigningKey { SigningKey(key: Curve25519.Signing.PrivateKey()) }

    init(key: Curve25519.Signing.PrivateKey) { self.key = key }

    /// The public half, to give to auditors.
    public var publicKey: VerifyingKey { VerifyingKey(key: key.publicKey) }

    /// The text of `filet-signing.key`.
    public var fileText: String {
        "\(KeyFile.privateHeader)\n\(key.rawRepresentation.base64EncodedString())\n"
    }

    /// Reads a key from the text of a `filet-signing.key` file; `source` names the file in errors.
    public init(fileText: String, source: String) throws(CheckpointError) {
        let raw = try KeyFile.decode(fileText, header: KeyFile.privateHeader, what: "a filet private signing key", source: source)
        do {
            key = try Curve25519.Signing.PrivateKey(rawRepresentation: raw)
        } catch {
            throw CheckpointError("\(source): not an Ed25519 private key (\(error))")
        }
    }

    /// Reads `path`.
    public init(path: String) throws(CheckpointError) {
        try self.init(fileText: try KeyFile.read(path), source: path)
    }

    func sign(_ message: [UInt8]) -> [UInt8] {
        // Ed25519 signing of a message in memory cannot fail; BoringSSL's only error is an allocation failure.
        (try? Array(key.signature(for: message))) ?? []
    }
}

/// The public half of a signing key: what `filet audit verify --public-key` checks checkpoints with.
///
/// File format (`filet-signing.pub`): one header line naming the type and the fingerprint, then
/// one line of base64:
///
///     # filet-signing-key ed25519 public v1 fingerprint=<64 hex>
///     <base64 of the 32-byte Ed25519 public key>
public struct VerifyingKey: Sendable, Hashable {
    let key: Curve25519.Signing.PublicKey

    init(key: Curve25519.Signing.PublicKey) { self.key = key }

    public static func == (lhs: VerifyingKey, rhs: VerifyingKey) -> Bool { lhs.key.rawRepresentation == rhs.key.rawRepresentation }
    public func hash(into hasher: inout Hasher) { hasher.combine(key.rawRepresentation) }

    /// The SHA-256, in lowercase hex, of the 32 raw bytes of the public key:
    /// `tail -n 1 filet-signing.pub | base64 -d | sha256sum`.
    public var fingerprint: String { Hex.string(SHA256.hash(data: key.rawRepresentation)) }

    /// The text of `filet-signing.pub`.
    public var fileText: String {
        "\(KeyFile.publicHeader) fingerprint=\(fingerprint)\n\(key.rawRepresentation.base64EncodedString())\n"
    }

    public init(fileText: String, source: String) throws(CheckpointError) {
        let raw = try KeyFile.decode(fileText, header: KeyFile.publicHeader, what: "a filet public signing key", source: source)
        do {
            key = try Curve25519.Signing.PublicKey(rawRepresentation: raw)
        } catch {
            throw CheckpointError("\(source): not an Ed25519 public key (\(error))")
        }
    }

    public init(path: String) throws(CheckpointError) {
        try self.init(fileText: try KeyFile.read(path), source: path)
    }

    func isValidSignature(_ signature: [UInt8], for message: [UInt8]) -> Bool {
        key.isValidSignature(signature, for: message)
    }
}

/// A key file that cannot be read, created or understood, or an anchor line that is not one.
public struct CheckpointError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

enum KeyFile {
    static let privateHeader = "# filet-signing-key ed25519 private v1"
    static let publicHeader = "# filet-signing-key ed25519 public v1"

    static func read(_ path: String) throws(CheckpointError) -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CheckpointError("\(path): cannot read the key file")
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// The 32 bytes of a key file whose first line starts with `header`.
    static func decode(_ text: String, header: String, what: String, source: String) throws(CheckpointError) -> Data {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: true).map { $0.trimmingCharacters(in: .whitespaces) }
        guard let first = lines.first, first == header || first.hasPrefix(header + " ") else {
            let other = header == privateHeader ? publicHeader : privateHeader
            if let first = lines.first, first.hasPrefix(other) {
                throw CheckpointError(
                    "\(source): this is the \(header == privateHeader ? "public" : "private") key; \(what) is needed here")
            }
            throw CheckpointError("\(source): not \(what): the first line must be '\(header)'")
        }
        let body = lines.dropFirst().filter { !$0.hasPrefix("#") }
        guard body.count == 1, let raw = Data(base64Encoded: body[body.startIndex]), raw.count == 32 else {
            throw CheckpointError("\(source): not \(what): expected one line of base64 holding 32 bytes after the header")
        }
        return raw
    }

    /// Writes `text` to a new file `path` with `mode` exactly (not less the umask); never overwrites.
    static func create(_ path: String, text: String, mode: mode_t) throws(CheckpointError) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard descriptor >= 0 else {
            let code = errno
            if code == EEXIST { throw CheckpointError("\(path): already exists; refusing to overwrite a key") }
            throw CheckpointError("\(path): cannot create: \(JournalError.describe(errno: code))")
        }
        defer { _ = systemClose(descriptor) }
        guard fchmod(descriptor, mode) == 0 else {
            throw CheckpointError("\(path): cannot set its mode: \(JournalError.describe(errno: errno))")
        }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        guard written == bytes.count, fsync(descriptor) == 0 else {
            throw CheckpointError("\(path): cannot write: \(JournalError.describe(errno: errno))")
        }
    }
}

/// `filet audit keygen`: a new key pair in `directory`.
public enum SigningKeyFiles: Sendable {
    public static let privateName = "filet-signing.key"
    public static let publicName = "filet-signing.pub"

    /// Writes `filet-signing.key` (mode 0600) and `filet-signing.pub` (mode 0644) into `directory`;
    /// refuses when either exists (nothing is written then). Returns the key pair.
    @discardableResult
    public static func generate(in directory: String) throws(CheckpointError) -> SigningKey {
        let directory = JournalWriter.normalized(directory)
        let privatePath = directory + "/" + privateName
        let publicPath = directory + "/" + publicName
        for path in [privatePath, publicPath] where FileManager.default.fileExists(atPath: path) {
            throw CheckpointError("\(path): already exists; refusing to overwrite a key (remove it first, or choose another --out)")
        }
        let key = SigningKey.generate()
        try KeyFile.create(privatePath, text: key.fileText, mode: 0o600)
        try KeyFile.create(publicPath, text: key.publicKey.fileText, mode: 0o644)
        return key
    }
}

/// When a journal writes signed `checkpoint` records: every `everyRecords` records, when
/// `interval` has passed since the last one and records are unsigned, right after `run.finished`,
/// and on ``JournalWriter/close()`` when records are still unsigned.
public struct CheckpointPolicy: Sendable {
    public var signingKey: SigningKey
    public var everyRecords: Int
    public var interval: Duration

    public init(signingKey: SigningKey, everyRecords: Int = 64, interval: Duration = .seconds(30)) {
        self.signingKey = signingKey
        self.everyRecords = max(1, everyRecords)
        self.interval = interval
    }
}

/// One line that names a journal's chain head, to keep outside the journal (a ticket, an e-mail):
///
///     filet-anchor v1 run=<run id> records=<n> head=<SHA-256 hex of line n>
///
/// `head` is what record n + 1's `prev` holds. A journal matches the anchor when its records 1..n
/// are an intact chain and line n hashes to `head`; records after n are allowed.
public struct JournalAnchor: Sendable, Hashable, CustomStringConvertible {
    public var run: String
    public var records: Int
    public var head: String

    public init(run: String, records: Int, head: String) {
        self.run = run
        self.records = records
        self.head = head
    }

    public var line: String { "filet-anchor v1 run=\(run) records=\(records) head=\(head)" }
    public var description: String { line }

    /// Parses an anchor line (surrounding spaces ignored).
    public init(line: String) throws(CheckpointError) {
        let words = line.split(whereSeparator: \.isWhitespace).map(String.init)
        func value(_ name: String, at index: Int) -> String? {
            guard words.count > index, words[index].hasPrefix(name + "=") else { return nil }
            return String(words[index].dropFirst(name.count + 1))
        }
        guard words.count == 5, words[0] == "filet-anchor", words[1] == "v1",
            let run = value("run", at: 2), RunID(run) != nil,
            let recordsText = value("records", at: 3), let records = Int(recordsText), records >= 1,
            let head = value("head", at: 4), DigestWords(hex: head) != nil
        else {
            throw CheckpointError("not an anchor line: expected 'filet-anchor v1 run=<run id> records=<n> head=<64 hex>', got '\(line)'")
        }
        self.init(run: run, records: records, head: head)
    }
}
