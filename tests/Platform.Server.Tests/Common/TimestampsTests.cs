using System.Globalization;
using Platform.Server.Common;

namespace Platform.Server.Tests.Common;

public sealed class TimestampsTests
{
    [Theory]
    [InlineData("0001-01-01T00:00:00.0000000+00:00", "0001-01-01T00:00:00.000Z")]
    [InlineData("9999-12-31T23:59:59.9999999+00:00", "9999-12-31T23:59:59.999Z")]
    [InlineData("0987-06-05T04:03:02.0019999+00:00", "0987-06-05T04:03:02.001Z")]
    [InlineData("2024-02-29T12:34:56.7890000+00:00", "2024-02-29T12:34:56.789Z")]
    [InlineData("2026-12-07T01:30:00.5000000+02:00", "2026-12-06T23:30:00.500Z")]
    [InlineData("2026-12-07T23:30:00.0500000-05:00", "2026-12-08T04:30:00.050Z")]
    public void Format_WritesUtcWithTruncatedMilliseconds(string value, string expected) =>
        Assert.Equal(expected, Timestamps.Format(DateTimeOffset.Parse(value, CultureInfo.InvariantCulture)));

    [Fact]
    public void Format_MatchesThePattern_ForAnyInstant()
    {
        // The stored and returned text must stay what the pattern made before (cursors and sorts compare it as text).
        var random = new Random(20261207);
        for (var i = 0; i < 20_000; i++)
        {
            var ticks = random.NextInt64(DateTime.MinValue.Ticks, DateTime.MaxValue.Ticks);
            var offset = TimeSpan.FromMinutes(random.Next(-14 * 60, 14 * 60 + 1));
            if (ticks + offset.Ticks < DateTime.MinValue.Ticks || ticks + offset.Ticks > DateTime.MaxValue.Ticks)
            {
                continue;
            }

            var value = new DateTimeOffset(new DateTime(ticks + offset.Ticks, DateTimeKind.Unspecified), offset);
            Assert.Equal(value.UtcDateTime.ToString(Timestamps.Pattern, CultureInfo.InvariantCulture), Timestamps.Format(value));
        }
    }

    [Fact]
    public void Format_ParsesBackWithThePattern()
    {
        var value = new DateTimeOffset(2026, 12, 7, 9, 41, 5, 123, TimeSpan.Zero);
        var parsed = DateTimeOffset.ParseExact(Timestamps.Format(value), Timestamps.Pattern, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
        Assert.Equal(value, parsed);
    }
}
