import Catalog
import Foundation
import Testing

/// Job leases: exactly one mount polls each job, on every engine.

@Test(arguments: CatalogEngine.allCases) func oneMountHoldsAJobUntilItReleasesIt(_ engine: CatalogEngine) throws {
    let catalog = try engine.makeCatalog()
    let boat = job("boat")
    try catalog.insertJob(boat)
    #expect(try catalog.leaseJob(named: "boat", to: "m1", seconds: 60) == .held(boat))
    #expect(try catalog.leaseJob(named: "boat", to: "m2", seconds: 60) == .heldElsewhere(mount: "m1"))
    // The holder renews it; an update of the job keeps it.
    var running = boat
    running.state = "running"
    try catalog.updateJob(running)
    #expect(try catalog.leaseJob(named: "boat", to: "m1", seconds: 60) == .held(running))
    #expect(try catalog.leaseJob(named: "boat", to: "m2", seconds: 60) == .heldElsewhere(mount: "m1"))
    // Released at unmount: the next mount takes it at once.
    try catalog.releaseJobLeases(heldBy: "m2")  // holds nothing: changes nothing
    #expect(try catalog.leaseJob(named: "boat", to: "m2", seconds: 60) == .heldElsewhere(mount: "m1"))
    try catalog.releaseJobLeases(heldBy: "m1")
    #expect(try catalog.leaseJob(named: "boat", to: "m2", seconds: 60) == .held(running))
    #expect(try catalog.leaseJob(named: "boat", to: "m1", seconds: 60) == .heldElsewhere(mount: "m2"))
}

@Test(arguments: CatalogEngine.allCases) func aLeaseThatRunsOutPassesToAnotherMount(_ engine: CatalogEngine) throws {
    let catalog = try engine.makeCatalog()
    try catalog.insertJob(job("boat"))
    try catalog.insertJob(job("ark"))
    #expect(try catalog.leaseJob(named: "boat", to: "m1", seconds: 0.3) == .held(job("boat")))
    #expect(try catalog.leaseJob(named: "ark", to: "m1", seconds: 60) == .held(job("ark")))
    #expect(try catalog.leaseJob(named: "boat", to: "m2", seconds: 60) == .heldElsewhere(mount: "m1"))
    Thread.sleep(forTimeInterval: 0.5)
    #expect(try catalog.leaseJob(named: "boat", to: "m2", seconds: 60) == .held(job("boat")))
    #expect(try catalog.leaseJob(named: "ark", to: "m2", seconds: 60) == .heldElsewhere(mount: "m1"))
}

@Test(arguments: CatalogEngine.allCases) func aGoneJobHasNoLease(_ engine: CatalogEngine) throws {
    let catalog = try engine.makeCatalog()
    #expect(throws: CatalogError.notFound("ghost")) { try catalog.leaseJob(named: "ghost", to: "m1", seconds: 60) }
    try catalog.insertJob(job("boat"))
    _ = try catalog.leaseJob(named: "boat", to: "m1", seconds: 60)
    try catalog.deleteJob(named: "boat")
    #expect(throws: CatalogError.notFound("boat")) { try catalog.leaseJob(named: "boat", to: "m2", seconds: 60) }
}
