import Glibc
import Synchronization

/// The one updating line on standard error: redrawn in place (carriage return, erase to the end
/// of the line) at most ten times a second, and left standing with a newline when the work is
/// done.
final class _ProgressLine: Sendable {
    private let drawn = Mutex<(last: ContinuousClock.Instant?, visible: Bool)>((nil, false))

    /// Nil when the options say no line (for `.automatic`, when standard error is no terminal).
    static func make(_ setting: ClusterOptions.ProgressLine) -> _ProgressLine? {
        switch setting {
        case .always: _ProgressLine()
        case .never: nil
        case .automatic: isatty(2) == 1 ? _ProgressLine() : nil
        }
    }

    func update(_ progress: ClusterProgress) {
        let finished = progress.done >= progress.total
        let now = ContinuousClock().now
        let draw = drawn.withLock { state -> Bool in
            // Once the work is done the line stands; later changes (workers stopping) redraw nothing.
            if finished && !state.visible { return false }
            if !finished, let last = state.last, now - last < .milliseconds(100) { return false }
            state.last = finished ? nil : now
            state.visible = !finished
            return true
        }
        guard draw else { return }
        _writeToStandardError("\r\u{1B}[Kcluster: \(progress)" + (finished ? "\n" : ""))
    }
}
