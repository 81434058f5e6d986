// A HeapPackCluster worker of another binary than heappack-cluster-check: it speaks the
// protocol, but its build-id differs, so a coordinator must refuse it at the handshake.
import HeapPackCluster

Cluster.serveIfWorker()
print("heappack-cluster-foreign: run by a cluster coordinator as a worker, it serves; run alone, it does nothing")
