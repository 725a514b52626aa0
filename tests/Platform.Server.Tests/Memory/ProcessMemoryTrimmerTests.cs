using Platform.Server.Memory;

namespace Platform.Server.Tests.Memory;

public sealed class ProcessMemoryTrimmerTests
{
    [Fact]
    public void Trim_OnGlibc_TrimsTheNativeHeapToo_ElsewhereOnlyTheManagedHeap()
    {
        // Whether this process runs on glibc, told apart from the trimmer's own check: glibc's libc.so.6 is mapped, and
        // musl's loader names itself ld-musl.
        var glibc = OperatingSystem.IsLinux()
            && File.ReadAllText("/proc/self/maps") is var maps
            && maps.Contains("/libc.so.6", StringComparison.Ordinal)
            && !maps.Contains("ld-musl", StringComparison.Ordinal);
        var trimmer = new ProcessMemoryTrimmer();
        var collections = GC.CollectionCount(GC.MaxGeneration);

        var native = trimmer.Trim();

        Assert.Equal(glibc, trimmer.CanTrimNativeHeap);
        Assert.Equal(glibc, native);
        Assert.True(GC.CollectionCount(GC.MaxGeneration) > collections);
    }
}
