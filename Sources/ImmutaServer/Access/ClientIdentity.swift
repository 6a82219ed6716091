#if canImport(Glibc)
import Glibc
#endif

/// Who is at the other end of a connection: the uid, gid and pid the kernel reported
/// (SO_PEERCRED, which a client cannot forge), with the user's name and every group it belongs
/// to, primary and supplementary, as the system's user database says.
///
/// Groups come from the user database (getgrouplist), not from the peer process: a process that
/// dropped its supplementary groups is still judged by the uid's memberships, as PostgreSQL's
/// peer authentication judges by the user name.
public struct ClientIdentity: Sendable, Hashable, CustomStringConvertible {
    public var uid: UInt32
    public var gid: UInt32
    public var pid: Int32
    /// The user's name, nil when the uid has no entry in the user database.
    public var userName: String?
    /// Every group id of the user: the peer's gid first, then the user's supplementary groups.
    public var groupIDs: [UInt32]
    /// The names of those groups that have one, by id.
    public var groupNames: [UInt32: String]

    public init(uid: UInt32, gid: UInt32, pid: Int32, userName: String?, groupIDs: [UInt32], groupNames: [UInt32: String]) {
        self.uid = uid
        self.gid = gid
        self.pid = pid
        self.userName = userName
        self.groupIDs = groupIDs
        self.groupNames = groupNames
    }

    /// "user alice (uid 1001)", or "uid 1001" for a uid without a name.
    public var description: String {
        userName.map { "user \($0) (uid \(uid))" } ?? "uid \(uid)"
    }

    /// The groups as `name(gid)`, or `gid` for a group without a name.
    public var groupList: [String] {
        groupIDs.map { id in groupNames[id].map { "\($0)(\(id))" } ?? "\(id)" }
    }

    /// Looks the user and its groups up in the user database. It may block (NSS can ask a
    /// directory service), so it runs on a worker thread, never on an event loop.
    public static func resolve(uid: UInt32, gid: UInt32, pid: Int32) -> ClientIdentity {
        let user = UserDatabase.user(uid: uid)
        var ids = [gid]
        if let user {
            for id in UserDatabase.groupIDs(of: user.name, primary: user.gid) where !ids.contains(id) { ids.append(id) }
            if !ids.contains(user.gid) { ids.append(user.gid) }
        }
        var names: [UInt32: String] = [:]
        for id in ids { names[id] = UserDatabase.groupName(gid: id) }
        return ClientIdentity(uid: uid, gid: gid, pid: pid, userName: user?.name, groupIDs: ids, groupNames: names)
    }

    /// The identity of a user named in a request (ACCESS_CHECK): by name, or by uid when all digits.
    public static func lookUp(user: String) -> ClientIdentity? {
        let found: (name: String, uid: UInt32, gid: UInt32)?
        if let uid = UInt32(user) {
            found = UserDatabase.user(uid: uid).map { ($0.name, uid, $0.gid) }
            if found == nil { return ClientIdentity(uid: uid, gid: uid, pid: 0, userName: nil, groupIDs: [], groupNames: [:]) }
        } else {
            found = UserDatabase.user(named: user)
        }
        guard let found else { return nil }
        return resolve(uid: found.uid, gid: found.gid, pid: 0)
    }
}

/// The system's user and group database (NSS), through the reentrant libc calls. Written by hand:
/// neither Foundation nor swift-system wraps getpwuid_r or getgrouplist.
enum UserDatabase {
    static func user(uid: UInt32) -> (name: String, gid: UInt32)? {
        lookUp(passwd(), { getpwuid_r(uid, &$0, $1, $2, &$3) }) { (String(cString: $0.pw_name), $0.pw_gid) }
    }

    static func user(named name: String) -> (name: String, uid: UInt32, gid: UInt32)? {
        lookUp(passwd(), { getpwnam_r(name, &$0, $1, $2, &$3) }) { (String(cString: $0.pw_name), $0.pw_uid, $0.pw_gid) }
    }

    static func groupName(gid: UInt32) -> String? {
        lookUp(Glibc.group(), { getgrgid_r(gid, &$0, $1, $2, &$3) }) { String(cString: $0.gr_name) }
    }

    static func group(named name: String) -> UInt32? {
        lookUp(Glibc.group(), { getgrnam_r(name, &$0, $1, $2, &$3) }) { $0.gr_gid }
    }

    /// Runs a reentrant lookup (getpwuid_r and its kin) with a buffer that grows while the call
    /// answers ERANGE, and reads the entry found, if any.
    private static func lookUp<Entry, Value>(
        _ empty: Entry, _ call: (inout Entry, UnsafeMutablePointer<CChar>, Int, inout UnsafeMutablePointer<Entry>?) -> Int32,
        _ read: (Entry) -> Value
    ) -> Value? {
        var size = 1024
        while size <= 1 << 22 {
            var entry = empty
            var result: UnsafeMutablePointer<Entry>?
            let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: size)
            defer { buffer.deallocate() }
            let status = call(&entry, buffer, size, &result)
            if status == ERANGE {
                size *= 4
                continue
            }
            guard status == 0, result != nil else { return nil }
            return read(entry)
        }
        return nil
    }

    /// The user's groups, primary included, grown until getgrouplist has room for them all.
    static func groupIDs(of user: String, primary: UInt32) -> [UInt32] {
        var count: Int32 = 32
        while count <= 65_536 {
            var groups = [gid_t](repeating: 0, count: Int(count))
            var found = count
            if getgrouplist(user, primary, &groups, &found) >= 0 { return Array(groups.prefix(Int(found))) }
            count = max(found, count * 2)
        }
        return [primary]
    }
}
