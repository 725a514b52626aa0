using System.Runtime.InteropServices;

namespace Platform.Server.Memory;

/// <summary>Gives the process's free memory back to the operating system (a seam, so tests count trims instead of running them).</summary>
internal interface IMemoryTrimmer
{
    /// <summary>Managed bytes the process has allocated so far: how much a trim could find to give back grows with it.</summary>
    long AllocatedBytes { get; }

    /// <summary>Trims; true when the native heaps were trimmed too, not only the managed heap.</summary>
    bool Trim();
}

/// <summary>
/// A full, blocking, compacting collection in the aggressive mode, which also releases the memory the GC keeps
/// committed for its budgets (the gen0 budget alone is 16 MiB on a host with a 32 MiB L3 cache), then, on Linux with
/// glibc, <c>malloc_trim(0)</c>: glibc keeps the pages freed in its arenas (SQLite's buffers, the runtime's native
/// allocations; 20-35 MiB after the benchmark's load) until asked. Last, on Linux, the runtime's read-only views of the
/// assembly files are taken out of the page tables (<see cref="AssemblyViewReleaser"/>: 20-25 MiB at idle). Elsewhere
/// (musl, macOS, Windows) only the collection.
/// </summary>
internal sealed class ProcessMemoryTrimmer : IMemoryTrimmer
{
    private const string Glibc = "libc.so.6";

    private readonly AssemblyViewReleaser _views = new();

    /// <summary>Whether this process runs on glibc with <c>malloc_trim</c>; looked up once.</summary>
    public bool CanTrimNativeHeap { get; } = HasMallocTrim();

    public long AllocatedBytes => GC.GetTotalAllocatedBytes(precise: false);

    public bool Trim()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        var native = CanTrimNativeHeap && TrimNativeHeap();
        _ = _views.Release();
        return native;
    }

    private static bool HasMallocTrim()
    {
        if (!OperatingSystem.IsLinux() || !NativeLibrary.TryLoad(Glibc, out var handle))
        {
            return false;
        }

        // gnu_get_libc_version exists only in glibc: a compatibility layer named libc.so.6 on musl does not count.
        return NativeLibrary.TryGetExport(handle, "gnu_get_libc_version", out _)
            && NativeLibrary.TryGetExport(handle, "malloc_trim", out _);
    }

    private static bool TrimNativeHeap()
    {
        try
        {
            _ = MallocTrim(0);
            return true;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    // Blittable signature: no marshalling, so no generated stub (and no unsafe code) is needed.
#pragma warning disable SYSLIB1054
    [DllImport(Glibc, EntryPoint = "malloc_trim")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int MallocTrim(nuint pad);
#pragma warning restore SYSLIB1054
}
