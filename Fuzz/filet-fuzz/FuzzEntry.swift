import FiletTestSupport
import Foundation

// Built two ways (scripts/fuzz.sh, docs/security.md):
// - by `scripts/fuzz.sh`, with `-sanitize=fuzzer,address -D FILET_FUZZ`: libFuzzer's driver calls
//   `LLVMFuzzerTestOneInput`, on the target named by `FILET_FUZZ_TARGET` (runbook, condition, journal). SwiftPM links
//   an executable's `main` to `<module>_main` (`filet_fuzz_main`), which keeps libFuzzer's own `main` out, so that
//   function starts the driver (`LLVMFuzzerRunDriver`, libFuzzer's entry point for programs with their own `main`);
// - by a plain `swift build`: an executable that runs a target on the files given as arguments
//   (`filet-fuzz TARGET FILE...`), to replay an input without the sanitizers.
#if FILET_FUZZ
    private let target: FuzzTarget = {
        let name = ProcessInfo.processInfo.environment["FILET_FUZZ_TARGET"] ?? ""
        guard let target = FuzzTarget(rawValue: name) else {
            let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
            fatalError("filet-fuzz: set FILET_FUZZ_TARGET to one of \(names), not '\(name)'")
        }
        return target
    }()

    @_cdecl("LLVMFuzzerTestOneInput")
    public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
        let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
        target.run(bytes)
        return 0
    }

    /// libFuzzer's driver (compiler-rt `FuzzerInterface.h`), declared here: its arguments and result are plain words,
    /// passed alike by the Swift and C calling conventions.
    @_silgen_name("LLVMFuzzerRunDriver")
    func runFuzzerDriver(
        _ argc: UnsafeMutablePointer<CInt>,
        _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
        _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
    ) -> CInt

    @_cdecl("filet_fuzz_main")
    public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
        var count = argc
        var arguments = argv
        return runFuzzerDriver(&count, &arguments, fuzzOneInput)
    }
#else
    @main
    enum Replay {
        static func main() {
            let arguments = CommandLine.arguments.dropFirst()
            guard let name = arguments.first, let target = FuzzTarget(rawValue: name) else {
                let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: "|")
                FileHandle.standardError.write(Data("usage: filet-fuzz \(names) FILE...\n".utf8))
                exit(2)
            }
            for path in arguments.dropFirst() {
                guard let data = FileManager.default.contents(atPath: path) else {
                    FileHandle.standardError.write(Data("filet-fuzz: cannot read \(path)\n".utf8))
                    exit(2)
                }
                target.run(Array(data))
                print("\(name) \(path): ok")
            }
        }
    }
#endif
