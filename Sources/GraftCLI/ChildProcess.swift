import Foundation

/// A child process started with `posix_spawn` and reaped with `waitpid`.
///
/// Used instead of Foundation's `Process` for the HDF5 probe: its exit is seen by
/// polling `waitpid` against a deadline, so nothing depends on a termination
/// handler being called, and the child starts with default signal handling and
/// an empty signal mask whatever the parent has set.
struct ChildProcess {
    enum Outcome: Equatable {
        case exited(Int32)
        case signalled(Int32)
        case timedOut
    }

    let pid: pid_t

    /// Starts `executable` with `arguments` (without argv[0]) and `environment`; its stdin,
    /// stdout and stderr are /dev/null. Returns nil when the system cannot start it.
    static func spawn(_ executable: String, arguments: [String], environment: [String: String]) -> ChildProcess? {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for fd: Int32 in [0, 1, 2] {
            posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0)
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t(), empty = sigset_t()
        sigfillset(&defaults)
        sigemptyset(&empty)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid = pid_t()
        // EAGAIN (too many processes for a moment) is worth a second try.
        for attempt in 0..<3 {
            let status = posix_spawnp(&pid, executable, &actions, &attributes, argv, envp)
            if status == 0 { return ChildProcess(pid: pid) }
            guard status == EAGAIN, attempt < 2 else { return nil }
            usleep(100_000)
        }
        return nil
    }

    /// Waits until the child ends or `seconds` pass; a child still running then is killed (SIGKILL) and reaped.
    func wait(seconds: TimeInterval) -> Outcome {
        let deadline = Date().addingTimeInterval(seconds)
        var pause: useconds_t = 1_000
        while true {
            var status: Int32 = 0
            let reaped = waitpid(pid, &status, WNOHANG)
            if reaped == pid { return Self.outcome(status) }
            if reaped < 0 && errno != EINTR { return .exited(-1) }
            if Date() >= deadline { break }
            usleep(pause)
            pause = min(pause * 2, 20_000)
        }
        kill(pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return .timedOut
    }

    private static func outcome(_ status: Int32) -> Outcome {
        // WIFEXITED / WTERMSIG are C macros Swift does not import.
        let signal = status & 0x7f
        return signal == 0 ? .exited((status >> 8) & 0xff) : .signalled(signal)
    }
}
