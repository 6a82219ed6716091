#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The terminal the live `top` draws on. Written by hand on termios and ANSI escapes (no curses
/// in the package's dependencies, and a full-screen redraw per second needs little): keys are
/// read one at a time without echo, the screen is the terminal's alternate one (what was on it
/// comes back on exit), and ``restore()`` puts everything back as it was.
final class Terminal {
    /// Standard input's settings before; nil when it is not a terminal (then keys are not read
    /// raw, and Ctrl-C is a signal as usual).
    private let saved: termios?
    private var restored = false

    init() {
        var settings = termios()
        if isatty(STDIN_FILENO) == 1 && tcgetattr(STDIN_FILENO, &settings) == 0 {
            saved = settings
            // No line editing or echo, and Ctrl-C, Ctrl-Z and Ctrl-\ arrive as bytes rather than
            // signals: Ctrl-C quits like q, and Ctrl-Z cannot stop top with the terminal raw.
            settings.c_lflag &= ~tcflag_t(ICANON | ECHO | ISIG | IEXTEN)
            withUnsafeMutableBytes(of: &settings.c_cc) { characters in
                characters[Int(VMIN)] = 1
                characters[Int(VTIME)] = 0
            }
            tcsetattr(STDIN_FILENO, TCSANOW, &settings)
        } else {
            saved = nil
        }
        // The alternate screen, cursor hidden.
        emit("\u{1b}[?1049h\u{1b}[?25l\u{1b}[H\u{1b}[2J")
    }

    /// The window's size, or 80×24 when the terminal does not say.
    static func size() -> (width: Int, height: Int) {
        var size = winsize()
        guard ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0, size.ws_row > 0 else { return (80, 24) }
        return (Int(size.ws_col), Int(size.ws_row))
    }

    /// Replaces the screen with `lines` (each at most the window's width): cursor home, each line
    /// written over the old one and the rest of it erased, then the rest of the screen erased. No
    /// clear before drawing, so the screen does not flicker.
    func draw(_ lines: [String]) {
        emit("\u{1b}[H" + lines.joined(separator: "\u{1b}[K\r\n") + "\u{1b}[K\u{1b}[J")
    }

    /// The cursor shown, the normal screen back, and standard input's settings as they were.
    func restore() {
        guard !restored else { return }
        restored = true
        emit("\u{1b}[?25h\u{1b}[?1049l")
        if var saved { tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved) }
    }

    deinit { restore() }

    private func emit(_ text: String) {
        var text = text
        text.withUTF8 { bytes in
            var done = 0
            while done < bytes.count {
                let n = write(STDOUT_FILENO, bytes.baseAddress! + done, bytes.count - done)
                if n < 0 && errno == EINTR { continue }
                // A terminal gone away (EIO after a hangup): nothing more to draw on.
                if n <= 0 { return }
                done += n
            }
        }
    }
}
