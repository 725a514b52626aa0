using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Platform.Server.Memory;

namespace Platform.Server.Tests.Memory;

public sealed class MemoryOptionsTests
{
    [Fact]
    public void Defaults_TrimOnAfterFiveSeconds()
    {
        var options = Bind(new Dictionary<string, string?>());

        Assert.True(options.TrimWhenIdle);
        Assert.Equal(TimeSpan.FromSeconds(5), options.IdleDelay);
    }

    [Theory]
    [InlineData("00:00:00")]
    [InlineData("00:00:00.500")]
    [InlineData("02:00:00")]
    public void IdleDelay_OutOfRange_IsRefusedNamingTheField(string delay)
    {
        var error = Assert.Throws<OptionsValidationException>(() => Bind(new Dictionary<string, string?> { ["Baas:Memory:IdleDelay"] = delay }));

        Assert.Contains(nameof(MemoryOptions.IdleDelay), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TrimWhenIdle_CanBeTurnedOff()
    {
        var options = Bind(new Dictionary<string, string?> { ["Baas:Memory:TrimWhenIdle"] = "false", ["Baas:Memory:IdleDelay"] = "00:01:00" });

        Assert.False(options.TrimWhenIdle);
        Assert.Equal(TimeSpan.FromMinutes(1), options.IdleDelay);
    }

    private static MemoryOptions Bind(Dictionary<string, string?> settings)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        services.AddLogging();
        services.AddBaasMemory();
        using var provider = services.BuildServiceProvider();
        return provider.GetRequiredService<IOptions<MemoryOptions>>().Value;
    }
}
