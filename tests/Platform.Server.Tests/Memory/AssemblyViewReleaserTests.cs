using System.Globalization;
using System.IO.MemoryMappedFiles;
using Platform.Server.Memory;

namespace Platform.Server.Tests.Memory;

public sealed class AssemblyViewReleaserTests
{
    [Fact]
    public void ReleasableViews_SelectsOnlyReadOnlySharedViewsOfDllFiles()
    {
        string[] maps =
        [
            "7fc3e0c00000-7fc3e1adb000 r--s 00000000 fe:00 350922                     /usr/share/dotnet/shared/Microsoft.NETCore.App/10.0.12/System.Private.CoreLib.dll",
            "7fc3e4470000-7fc3e4471000 r--p 00000000 fe:00 350922                     /usr/share/dotnet/shared/Microsoft.NETCore.App/10.0.12/System.Private.CoreLib.dll",
            "7fc3e4480000-7fc3e4fcc000 r-xp 00000000 fe:00 350922                     /usr/share/dotnet/shared/Microsoft.NETCore.App/10.0.12/System.Private.CoreLib.dll",
            "7fc3e4fec000-7fc3e536e000 rw-p 00b4c000 fe:00 350922                     /usr/share/dotnet/shared/Microsoft.NETCore.App/10.0.12/System.Private.CoreLib.dll",
            "7fb7ea800000-7fb7eae84000 r--s 00000000 fe:00 11887116                   /srv/my app/Platform.Server.DLL",
            "7f0000000000-7f0000100000 rw-s 00000000 00:01 2048                       /memfd:doublemapper (deleted)",
            "7f0000200000-7f0000300000 r--s 00000000 fe:00 77                         /srv/data/baas.db-shm",
            "7f0000400000-7f0000500000 r--s 00000000 fe:00 78                         /srv/app/Gone.dll (deleted)",
            "7f0000600000-7f0000700000 r--s 00000000 00:00 0 ",
            "not a maps line",
        ];

        var views = AssemblyViewReleaser.ReleasableViews(maps).ToList();

        Assert.Equal(
            [(0x7fc3e0c00000UL, 0x7fc3e1adb000UL - 0x7fc3e0c00000UL), (0x7fb7ea800000UL, 0x7fb7eae84000UL - 0x7fb7ea800000UL)],
            views);
    }

    [Fact]
    public void Release_OnLinux_UnmapsAReadOnlySharedViewOfADll_AndItsContentReadsTheSameAfter()
    {
        var releaser = new AssemblyViewReleaser();
        Assert.Equal(OperatingSystem.IsLinux(), releaser.CanRelease);
        if (!OperatingSystem.IsLinux())
        {
            Assert.Equal(0, releaser.Release());
            return;
        }

        // A file of our own named like an assembly and mapped the way the runtime maps its flat views (read-only, shared),
        // so the test reads only a mapping that nothing else in the process touches.
        const int size = 1024 * 1024;
        var path = Path.Combine(Path.GetTempPath(), $"baas-view-{Guid.NewGuid():N}.dll");
        var content = new byte[size];
        new Random(42).NextBytes(content);
        File.WriteAllBytes(path, content);
        try
        {
            using var file = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
            using var view = file.CreateViewAccessor(0, size, MemoryMappedFileAccess.Read);
            var start = view.SafeMemoryMappedViewHandle.DangerousGetHandle();
            Assert.True(ReadsTheSame(view, content));
            Assert.Equal(size / 1024, ResidentKiB(start));

            var advised = releaser.Release();

            Assert.True(advised >= size);
            Assert.Equal(0, ResidentKiB(start));
            Assert.True(ReadsTheSame(view, content));
            Assert.Equal(size / 1024, ResidentKiB(start));
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static bool ReadsTheSame(MemoryMappedViewAccessor view, byte[] content)
    {
        var read = new byte[content.Length];
        view.ReadArray(0, read, 0, read.Length);
        return read.AsSpan().SequenceEqual(content);
    }

    /// <summary>The <c>Rss</c> of the mapping that starts at <paramref name="start"/>, from <c>/proc/self/smaps</c>.</summary>
    private static long ResidentKiB(nint start)
    {
        var prefix = ((ulong)start).ToString("x", CultureInfo.InvariantCulture) + "-";
        var inMapping = false;
        // The mapping's header line, then its fields; the first Rss after the header is the mapping's own.
        foreach (var line in File.ReadLines("/proc/self/smaps"))
        {
            if (line.StartsWith(prefix, StringComparison.Ordinal))
            {
                inMapping = true;
            }
            else if (inMapping && line.StartsWith("Rss:", StringComparison.Ordinal))
            {
                return long.Parse(line["Rss:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
            }
        }

        throw new InvalidOperationException($"No mapping starts at {prefix}.");
    }
}
