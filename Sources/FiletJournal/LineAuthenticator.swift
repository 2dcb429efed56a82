import Crypto
import FiletSupport

/// HMAC-SHA256 (RFC 2104) of journal lines, keyed once.
///
/// The same function as `Crypto.HMAC<SHA256>`, built from `SHA256`'s non-generic
/// `update(bufferPointer:)`: `HMAC.update(data:)` is generic over `DataProtocol` and is not
/// specialised across modules, which halved the verifier's speed. Tests check it against
/// `openssl dgst -sha256 -hmac`.
struct LineAuthenticator {
    /// SHA-256 after absorbing the key XOR ipad, and after the key XOR opad.
    private let inner: SHA256
    private let outer: SHA256

    init(key: [UInt8]) {
        var block = key
        if block.count > 64 {
            var hasher = SHA256()
            block.withUnsafeBytes { hasher.update(bufferPointer: $0) }
            block = hasher.finalize().withUnsafeBytes { Array($0) }
        }
        block += [UInt8](repeating: 0, count: 64 - block.count)
        var inner = SHA256()
        var outer = SHA256()
        block.map { $0 ^ 0x36 }.withUnsafeBytes { inner.update(bufferPointer: $0) }
        block.map { $0 ^ 0x5C }.withUnsafeBytes { outer.update(bufferPointer: $0) }
        self.inner = inner
        self.outer = outer
    }

    /// The MAC of `message` followed by `}`: a line without its mac member (see ``RecordFormat``).
    func mac(ofLinePrefix message: UnsafeRawBufferPointer) -> DigestWords {
        var inner = self.inner
        inner.update(bufferPointer: message)
        withUnsafeBytes(of: UInt8(ascii: "}")) { inner.update(bufferPointer: $0) }
        var outer = self.outer
        inner.finalize().withUnsafeBytes { outer.update(bufferPointer: $0) }
        return outer.finalize().withUnsafeBytes { DigestWords(digest: $0) }
    }
}

extension DigestWords {
    /// The SHA-256 of `bytes`.
    init(sha256 bytes: UnsafeRawBufferPointer) {
        var hasher = SHA256()
        hasher.update(bufferPointer: bytes)
        self = hasher.finalize().withUnsafeBytes { DigestWords(digest: $0) }
    }

    /// Appends the 64 lowercase hex digits.
    func appendHex(to out: inout [UInt8]) {
        withUnsafeBytes(of: w0.bigEndian) { Hex.append($0, to: &out) }
        withUnsafeBytes(of: w1.bigEndian) { Hex.append($0, to: &out) }
        withUnsafeBytes(of: w2.bigEndian) { Hex.append($0, to: &out) }
        withUnsafeBytes(of: w3.bigEndian) { Hex.append($0, to: &out) }
    }
}
