using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Platform.Server.Documents;
using Platform.Server.Hosting;
using Platform.Server.Storage;
using Platform.Server.Storage.Mongo;

namespace Platform.Server.Tests.Storage.Mongo;

public class MongoDocumentLimitsValidationTests
{
    private static IOptions<DocumentLimits> Limits(string provider, params (string Key, string Value)[] settings)
    {
        var values = new Dictionary<string, string?>
        {
            ["Baas:Storage:Provider"] = provider,
            ["Baas:Storage:ConnectionString"] = "mongodb://localhost:27017/?replicaSet=rs0",
        };
        foreach (var (key, value) in settings)
        {
            values[key] = value;
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddLogging();
        services.AddBaasStorage(configuration);
        services.AddOptions<DocumentLimits>().BindConfiguration(DocumentLimits.Section).ValidateDataAnnotations();
        return services.BuildServiceProvider().GetRequiredService<IOptions<DocumentLimits>>();
    }

    [Fact]
    public void OnMongo_ADocumentLimitTheChangeStreamCannotCarry_FailsWithOneLinePerKey()
    {
        var error = Assert.Throws<OptionsValidationException>(() =>
            Limits("Mongo", ("Baas:Documents:MaxBytes", "16777216"), ("Baas:Documents:MaxDepth", "200")).Value);

        var lines = ConfigurationCheck.Describe(error).ToList();

        Assert.Equal(2, lines.Count);
        Assert.StartsWith("Invalid configuration: Baas:Documents:MaxBytes: is 16777216, ", lines[0], StringComparison.Ordinal);
        Assert.Contains(MongoErrors.MaxDocumentBytes.ToString(System.Globalization.CultureInfo.InvariantCulture), lines[0], StringComparison.Ordinal);
        Assert.StartsWith("Invalid configuration: Baas:Documents:MaxDepth: is 200, ", lines[1], StringComparison.Ordinal);
    }

    [Fact]
    public void OnMongo_LimitsWithinTheBounds_AndOnSqlite_AnyValidLimit_Pass()
    {
        Assert.Equal(MongoErrors.MaxDocumentBytes, Limits("Mongo", ("Baas:Documents:MaxBytes", MongoErrors.MaxDocumentBytes.ToString(System.Globalization.CultureInfo.InvariantCulture)), ("Baas:Documents:MaxDepth", "100")).Value.MaxBytes);
        Assert.Equal(1_048_576, Limits("Mongo").Value.MaxBytes);
        Assert.Equal(16_777_216, Limits("Sqlite", ("Baas:Documents:MaxBytes", "16777216"), ("Baas:Documents:MaxDepth", "200")).Value.MaxBytes);
    }
}

public class CollectionIndexLimitTests
{
    [Theory]
    [InlineData(63, true)]
    [InlineData(64, false)]
    public void MaxIndexes_LeavesRoomForMongoDbsOwnIdIndex(int maxIndexes, bool valid)
    {
        var options = new Platform.Server.Collections.CollectionOptions { MaxIndexes = maxIndexes };
        var results = new List<System.ComponentModel.DataAnnotations.ValidationResult>();

        Assert.Equal(valid, System.ComponentModel.DataAnnotations.Validator.TryValidateObject(options, new(options), results, validateAllProperties: true));
    }
}
