#if canImport(Glibc)
    import Dispatch
    import Foundation
    import Glibc
    import FiletTestSupport
    import Testing
    import FiletNotify
    import FiletSupport
    import FiletRunbook

    @Suite("Delivery pacer") struct DeliveryPacerTests {
        @Test func spacesOneURLAndLeavesOthersFree() async {
            let pacer = DeliveryPacer(intervals: [.slack: .milliseconds(200)])
            let clock = ContinuousClock()
            let start = clock.now
            let times = await withTaskGroup(of: (String, Duration).self) { group in
                for index in 0..<3 {
                    group.addTask {
                        await pacer.waitForTurn(url: "https://hooks.example/a", format: .slack)
                        return ("a\(index)", clock.now - start)
                    }
                }
                group.addTask {
                    // Its own wait, from its own start: a full parallel suite can hold every task back for seconds.
                    let asked = clock.now
                    await pacer.waitForTurn(url: "https://hooks.example/b", format: .slack)
                    return ("b", clock.now - asked)
                }
                var times: [String: Duration] = [:]
                for await (name, time) in group { times[name] = time }
                return times
            }
            let sameURL = [times["a0"]!, times["a1"]!, times["a2"]!].sorted()
            #expect(sameURL[1] >= .milliseconds(190))
            #expect(sameURL[2] >= .milliseconds(390))
            #expect(times["b"]! < .milliseconds(390), "another URL does not wait behind the first")
            #expect(await pacer.interval(for: .generic) == .zero)
            #expect(DeliveryPacer.defaultInterval(for: .slack) == .seconds(1))
        }
    }

    @Suite("Delivery file channel") struct DeliveryFileChannelTests {
        private func temporaryDirectory() throws -> String {
            let path = NSTemporaryDirectory() + "filet-delivery-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            return path
        }

        @Test func appendsParsableLinesAndCreatesDirectories() throws {
            let root = try temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: root) }
            let path = root + "/cellule/journal/notifications.jsonl"
            let first = try FileChannel.append(sampleMessage(id: "msg_1"), to: path)
            #expect(first.created)
            let second = try FileChannel.append(sampleMessage(id: "msg_2", drill: true), to: path)
            #expect(!second.created)
            let text = try String(contentsOfFile: path, encoding: .utf8)
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            #expect(lines.count == 3 && lines[2].isEmpty, "two lines, each ending in a newline")
            let parsed = try lines.dropLast().map { try JSONValue(parsing: String($0)) }
            #expect(parsed[0] == NotificationPayload.generic(sampleMessage(id: "msg_1")))
            #expect(parsed[1].member("drill") == .bool(true))
            #expect(first.bytes + second.bytes == text.utf8.count)
            var info = stat()
            #expect(stat(path, &info) == 0)
            #expect(info.st_mode & 0o777 == 0o640)
        }

        @Test func survivesConcurrentAppends() throws {
            let root = try temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: root) }
            let path = root + "/notifications.jsonl"
            let long = String(repeating: "une ligne assez longue pour dépasser un tampon ", count: 120)
            // Threads, not tasks: appends block (fdatasync), and the cooperative pool is shared with other suites.
            DispatchQueue.concurrentPerform(iterations: 8) { writer in
                for index in 0..<25 {
                    _ = try? FileChannel.append(sampleMessage(id: "msg_\(writer)_\(index)", text: long), to: path)
                }
            }
            let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
            #expect(lines.count == 200)
            let ids = try lines.map { try JSONValue(parsing: String($0)).member("id")?.stringValue ?? "" }
            #expect(Set(ids).count == 200)
        }

        @Test func reportsAFailureWithThePath() throws {
            let root = try temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: root) }
            let blocker = root + "/not-a-directory"
            _ = FileManager.default.createFile(atPath: blocker, contents: Data())
            #expect(throws: FileChannel.Failure.self) { try FileChannel.append(sampleMessage(), to: blocker + "/x.jsonl") }
            do {
                try FileChannel.append(sampleMessage(), to: blocker + "/x.jsonl")
            } catch {
                #expect(error.description.contains("not-a-directory"))
            }
        }
    }
#endif
