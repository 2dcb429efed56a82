import FiletTestSupport
import Foundation
import Testing

/// Every input the fuzz targets ever crashed on (`scripts/fuzz.sh` saves them under `Tests/Fixtures/fuzz/<target>/`),
/// replayed on its target: each must now return. Quick, so it runs in `swift test`; the fuzzing itself does not.
@Suite struct FuzzRegressionTests {
    static let folder =
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().path + "/Fixtures/fuzz"

    /// The saved inputs of a target, sorted by name (README.md and other dot files left out).
    static func inputs(of target: FuzzTarget) -> [String] {
        let directory = folder + "/" + target.rawValue
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { !$0.hasPrefix(".") && $0 != "README.md" }.sorted().map { directory + "/" + $0 }
    }

    @Test(arguments: FuzzTarget.allCases) func everySavedInputReturns(target: FuzzTarget) throws {
        for path in Self.inputs(of: target) {
            let data = try #require(FileManager.default.contents(atPath: path), "cannot read \(path)")
            target.run(Array(data))
        }
    }

    /// Git keeps no empty folder: each holds at least its hand-written inputs, so a missing one is a mistake.
    @Test func theFolderOfEachTargetExists() {
        for target in FuzzTarget.allCases {
            var isDirectory: ObjCBool = false
            #expect(FileManager.default.fileExists(atPath: Self.folder + "/" + target.rawValue, isDirectory: &isDirectory))
            #expect(isDirectory.boolValue, "Tests/Fixtures/fuzz/\(target.rawValue) is not a directory")
        }
    }
}
