import Dispatch
import HeapPack
import HeapPackTestSupport
import Synchronization
import Testing

@Suite("Concurrency")
struct ConcurrencyTests {
    // A fresh packer starts with empty caches, so these threads race to build the same plans
    // while others walk with the ones already published. Every round trip goes through it.
    @Test("one Packer serves many threads at once")
    func sharedPacker() {
        let packer = Packer()
        let scenarios = Scenarios.all.filter { $0.name != Scenarios.linkedList.name }
        let failures = Mutex<[String]>([])
        let completed = Mutex<Set<String>>([])
        DispatchQueue.concurrentPerform(iterations: 16) { worker in
            for round in 0..<10 {
                let scenario = scenarios[(worker + round) % scenarios.count]
                do {
                    let result = try scenario.roundTrip(with: packer)
                    if result == scenario.expected {
                        completed.withLock { _ = $0.insert(scenario.name) }
                    } else {
                        failures.withLock { $0.append("\(scenario.name): \(result), expected \(scenario.expected)") }
                    }
                    let list = LinkedList(count: 100 + worker)
                    let copy = try packer.unpack(try packer.pack(list), as: LinkedList.self)
                    if copy.sum() != list.sum() { failures.withLock { $0.append("list sum \(worker)") } }
                } catch {
                    failures.withLock { $0.append("\(scenario.name): \(error)") }
                }
            }
        }
        #expect(failures.withLock { $0 } == [])
        #expect(completed.withLock { $0 } == Set(scenarios.map(\.name)), "every scenario ran through the fresh packer")
    }

    @Test("a Packer frees its plans when it goes away")
    func packerLifetime() throws {
        for _ in 0..<20 {
            let packer = Packer()
            let value = Team(members: [Member(name: "x", account: Account(balance: 1))], owner: nil)
            let back = try packer.unpack(try packer.pack(value), as: Team.self)
            #expect(back.members[0].account.balance == 1)
        }
    }
}
