import ConnModel
/// The connects one worker has in flight: a fixed array of ``ConnSlot`` and a stack of
/// free indices, allocated before the first connect so taking and returning a slot is
/// two stores. The slot's generation goes into the driver's completion tag, so a late
/// completion for a previous occupant is recognised and dropped.
struct SlotTable: ~Copyable {
    let capacity: Int
    let slots: UnsafeMutablePointer<ConnSlot>
    private let free: UnsafeMutablePointer<Int32>
    private(set) var freeCount: Int

    init(capacity: Int) {
        self.capacity = Swift.max(1, capacity)
        slots = .allocate(capacity: self.capacity)
        slots.initialize(repeating: ConnSlot(), count: self.capacity)
        free = .allocate(capacity: self.capacity)
        for i in 0..<self.capacity { free[i] = Int32(self.capacity - 1 - i) }
        freeCount = self.capacity
    }

    deinit {
        slots.deallocate()
        free.deallocate()
    }

    @inline(__always) var busyCount: Int { capacity - freeCount }

    /// Takes a free slot (the caller checked `freeCount > 0`) and bumps its generation.
    @inline(__always)
    mutating func acquire() -> Int {
        freeCount -= 1
        let i = Int(free[freeCount])
        slots[i].generation &+= 1
        return i
    }

    @inline(__always)
    mutating func release(_ i: Int) {
        slots[i].fd = -1
        free[freeCount] = Int32(i)
        freeCount += 1
    }

    /// The slot a completion tag names, if it is still the same attempt.
    @inline(__always)
    func slot(forTag tag: UInt64) -> Int? {
        let i = Int(UInt32(truncatingIfNeeded: tag))
        guard i < capacity, slots[i].isBusy, slots[i].generation == UInt32(truncatingIfNeeded: tag >> 32) else { return nil }
        return i
    }

    @inline(__always)
    func tag(_ i: Int) -> UInt64 { ConnSlot.tag(slot: i, generation: slots[i].generation) }
}
