import Testing

/// The parent of every suite that runs real load. `.serialized` on a parent runs its
/// child suites one after another too, so two CPU-heavy suites never contend on this
/// 2-core machine (a rate or an onset measured under a neighbour's load is the
/// neighbour's figure). Light suites (parsers, pure reporters) stay outside and parallel.
@Suite(.serialized)
enum HeavySuites {}
