/// Networks: the one description of a neural network that every module of nntheory uses.
///
/// A network is a `Serial` composition of layers (stax-style): each layer carries its forward map, its
/// infinite-width kernel map and its parameter layout. Parameters live in one flat vector θ.
public enum Networks {}
