/// The version of Immuta: the daemon, immutactl and the client library are released together.
public let immutaVersion = "0.1.0"
