using System.Globalization;
using System.Runtime.InteropServices;

namespace Platform.Server.Memory;

/// <summary>
/// Takes the pages of the runtime's read-only views of the assembly files out of the process's page tables (Linux):
/// part of the idle trim.
/// </summary>
/// <remarks>
/// On Linux the runtime maps each assembly file twice: its sections, for the ReadyToRun code and data, and the whole file
/// read-only and shared (<c>r--s</c> in <c>/proc/self/maps</c>: the "flat" layout), from which it reads the metadata for
/// the rest of the process's life (<c>/proc/&lt;pid&gt;/pagemap</c>: the resident pages of that view are the metadata's,
/// and the same file range in the section mapping is not resident). The metadata reads of start-up (type loads, the JIT's token
/// lookups, attributes) are spread over each assembly's metadata, and the kernel maps the 64 KiB around every page that
/// is read (fault-around), so after start-up nearly all the metadata of every loaded assembly is resident there: 27 MiB of
/// the server's 122 MiB idle RSS, of which an idle node reads nothing. <c>madvise(MADV_DONTNEED)</c> on a shared,
/// read-only file mapping only unmaps: nothing is lost, the pages stay in the page cache (shared with every process that
/// maps the same framework), and the next read maps them again with a minor fault, as after the kernel's own reclaim. The
/// private mappings (the code and data sections) are never advised: there it would throw away relocated and written
/// pages.
/// </remarks>
internal sealed class AssemblyViewReleaser
{
    private const string MapsPath = "/proc/self/maps";
    private const int MadviseDontNeed = 4;

    /// <summary>Whether this process can release the views: Linux with a libc that exports <c>madvise</c>.</summary>
    public bool CanRelease { get; } = OperatingSystem.IsLinux() && HasMadvise();

    /// <summary>Releases every read-only shared view of an assembly file; returns how many bytes of views were advised.</summary>
    public long Release()
    {
        if (!CanRelease)
        {
            return 0;
        }

        long advised = 0;
        foreach (var view in ReleasableViews(File.ReadLines(MapsPath)))
        {
            // A view unmapped since the read (an unloaded collectible assembly) fails with ENOMEM: nothing to release.
            if (Madvise((nint)view.Start, (nuint)view.Length, MadviseDontNeed) == 0)
            {
                advised += (long)view.Length;
            }
        }

        return advised;
    }

    /// <summary>
    /// The ranges of <c>/proc/self/maps</c> lines that are read-only shared views of a <c>.dll</c> file: exactly
    /// <c>r--s</c>, so no private, writable or executable mapping is ever selected.
    /// </summary>
    public static IEnumerable<(ulong Start, ulong Length)> ReleasableViews(IEnumerable<string> mapsLines)
    {
        ArgumentNullException.ThrowIfNull(mapsLines);
        foreach (var line in mapsLines)
        {
            // address perms offset dev inode path; the path is the rest of the line and may hold spaces.
            var fields = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 6
                || fields[1] != "r--s"
                || !fields[5].TrimEnd().EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            var range = fields[0].Split('-');
            if (range.Length == 2
                && ulong.TryParse(range[0], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var start)
                && ulong.TryParse(range[1], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var end)
                && end > start)
            {
                yield return (start, end - start);
            }
        }
    }

    private static bool HasMadvise()
    {
        try
        {
            // A zero-length advice is valid and does nothing: it only proves the export is there.
            return Madvise(0, 0, MadviseDontNeed) == 0;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    // Blittable signature: no marshalling, so no generated stub (and no unsafe code) is needed.
#pragma warning disable SYSLIB1054
    [DllImport("libc.so.6", EntryPoint = "madvise")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Madvise(nint address, nuint length, int advice);
#pragma warning restore SYSLIB1054
}
