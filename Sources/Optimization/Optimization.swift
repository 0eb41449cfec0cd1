/// Optimization: first-order and quasi-Newton optimisers over a flat parameter vector, with schedules.
public enum Optimization {}
