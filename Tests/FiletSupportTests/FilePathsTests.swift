import FiletSupport
import Testing

@Suite struct FilePathsTests {
    @Test(arguments: [
        ("j", "."), ("filet-journal", "."), ("a/b", "a"), ("a//b/", "a"), ("/a", "/"), ("/", "/"), ("//", "/"),
        ("./x", "."), ("../x/y", "../x"), ("", "."), ("/var/lib/filet/j.jsonl", "/var/lib/filet"), ("é/ü", "é"),
    ])
    func theParentOfAPath(path: String, parent: String) {
        #expect(FilePaths.parent(of: path) == parent)
    }
}
