// One daemon and one router at a time: several at once on a 2-core machine starve each other's
// sessions and turn bounded waits into failures that say nothing about the daemon.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
