using Xunit;

// TorchSharp draws module initialisation from one process-wide generator: a trainer seeds it and then builds its
// networks, so another test class building networks at the same moment would change the seeded weights (the
// resume-after-kill test compares two seeded runs bit for bit). The classes of this assembly therefore run one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
