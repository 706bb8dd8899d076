import ConnModel
/// What `connbench --version` prints: the package's version. Reports carry the build's
/// own commit where the machine's fingerprint is taken (`Benchmarks/fingerprint.sh`).
enum ConnbenchVersion {
    static let text = "0.9.0"
}
