import ArgumentParser
import ConnEngine
import ConnModel

extension ListenerMode: ExpressibleByArgument {}

/// The mode flag and its older names (`--close`, `--no-accept`, `--listener-close`), which
/// scripts still pass: they are accepted as aliases, and a clash with the mode is an
/// error rather than a silent winner.
enum ListenerModeArguments {
    static func resolve(mode: ListenerMode?, modeFlag: String, close: ListenerClose?, closeFlag: String,
                        noAccept: Bool = false) throws -> ListenerMode {
        var implied: [(String, ListenerMode)] = []
        // `--no-accept` with `--close` was accepted before modes (close meant nothing
        // without accepts), so it still is: never-accept.
        if noAccept {
            implied.append(("--no-accept", .neverAccept))
        } else if let close {
            implied.append(("\(closeFlag) \(close.rawValue)", ListenerMode(close)))
        }
        if let mode { implied.insert(("\(modeFlag) \(mode.rawValue)", mode), at: 0) }
        guard let first = implied.first else { return .waitFin }
        if let clash = implied.first(where: { $0.1 != first.1 }) {
            throw ValidationError("\(first.0) and \(clash.0) ask for different listener modes; give one (\(modeFlag))")
        }
        return first.1
    }
}
