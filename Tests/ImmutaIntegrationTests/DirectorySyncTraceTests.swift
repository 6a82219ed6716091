import Testing

/// The strace reader that GroupDirectorySyncTests relies on: a check that misreads the trace
/// would fail good code, or pass bad code.
@Suite struct DirectorySyncTraceTests {
    static let creating = """
        100 mkdir("/d/g/.creating-m", 0700) = 0
        100 openat(AT_FDCWD, "/d/g/.creating-m/group.json.tmp", O_WRONLY|O_CREAT|O_TRUNC, 0600) = 7</d/g/.creating-m/group.json.tmp>
        100 rename("/d/g/.creating-m/group.json.tmp", "/d/g/.creating-m/group.json") = 0
        """

    /// A call that strace printed in two parts, because another thread's call came in between,
    /// counts as whole, for every call the check reads.
    @Test(arguments: [
        "100 fsync(8</d/g/.creating-m> <unfinished ...>\n101 openat(AT_FDCWD, \"/x\", O_RDONLY) = 9</x>\n100 <... fsync resumed>) = 0",
        "100 fsync(8</d/g/.creating-m>) = 0",
        "100 fdatasync(8</d/g/.creating-m> <unfinished ...>\n100 <... fdatasync resumed>) = 0",
    ])
    func aSyncPrintedInTwoPartsCountsAsASync(sync: String) {
        let trace = DirectorySyncTrace(log: Self.creating + "\n" + sync + "\n100 fsync(3</d/g>) = 0")
        #expect(trace.unsyncedChanges(under: "/d/g") == [])
    }

    /// Without the fsync of the staging directory, all three changes are reported; a failed call
    /// changed nothing and needs no fsync.
    @Test func missingSyncsAreNamed() {
        let trace = DirectorySyncTrace(log: Self.creating + "\n100 unlink(\"/d/g/.creating-m/gone\") = -1 ENOENT (No such file or directory)\n100 fsync(3</d/g>) = 0")
        #expect(trace.unsyncedChanges(under: "/d/g").count == 3)
    }

    /// An fsync printed after the staging directory was renamed into place carries its new name.
    @Test func aRenamedDirectoryIsSyncedUnderEitherName() {
        let log = Self.creating + """

            100 renameat2(AT_FDCWD, "/d/g/.creating-m", AT_FDCWD, "/d/g/m", RENAME_NOREPLACE <unfinished ...>
            100 <... renameat2 resumed>) = 0
            100 fsync(8</d/g/m>) = 0
            100 fsync(3</d/g>) = 0
            """
        #expect(DirectorySyncTrace(log: log).unsyncedChanges(under: "/d/g") == [])
    }
}
