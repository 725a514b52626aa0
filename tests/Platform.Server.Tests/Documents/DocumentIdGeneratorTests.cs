using Platform.Server.Documents;
using Platform.Server.Tests.Auth;

namespace Platform.Server.Tests.Documents;

public sealed class DocumentIdGeneratorTests
{
    [Fact]
    public void NewId_Is24LowercaseHex_WithTimestampPrefix()
    {
        var clock = new ManualTimeProvider(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero));
        var id = new DocumentIdGenerator(clock).NewId();
        Assert.Matches("^[0-9a-f]{24}$", id);
        Assert.Equal(clock.GetUtcNow().ToUnixTimeSeconds().ToString("x8", System.Globalization.CultureInfo.InvariantCulture), id[..8]);
        Assert.True(DocumentIds.IsValid(id));
    }

    [Fact]
    public void NewId_IsUniqueAndCountsWithinOneGenerator()
    {
        var generator = new DocumentIdGenerator(new ManualTimeProvider());
        var ids = Enumerable.Range(0, 10_000).Select(_ => generator.NewId()).ToList();
        Assert.Equal(ids.Count, ids.Distinct(StringComparer.Ordinal).Count());
        Assert.All(ids, id => Assert.Equal(ids[0][..18], id[..18]));
        var first = Convert.ToInt32(ids[0][18..], 16);
        var second = Convert.ToInt32(ids[1][18..], 16);
        Assert.Equal((first + 1) & 0xFFFFFF, second);
    }

    [Fact]
    public void NewId_DiffersBetweenGenerators_AndFollowsTheClock()
    {
        var clock = new ManualTimeProvider();
        var a = new DocumentIdGenerator(clock);
        var b = new DocumentIdGenerator(clock);
        Assert.NotEqual(a.NewId()[8..18], b.NewId()[8..18]);
        var before = a.NewId();
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.True(string.CompareOrdinal(a.NewId()[..8], before[..8]) > 0);
    }

    [Fact]
    public async Task NewId_IsUniqueUnderConcurrency()
    {
        var generator = new DocumentIdGenerator(new ManualTimeProvider());
        var tasks = Enumerable.Range(0, 4).Select(_ => Task.Run(() => Enumerable.Range(0, 5000).Select(_ => generator.NewId()).ToList(), TestContext.Current.CancellationToken));
        var all = (await Task.WhenAll(tasks)).SelectMany(x => x).ToList();
        Assert.Equal(all.Count, all.Distinct(StringComparer.Ordinal).Count());
    }
}
