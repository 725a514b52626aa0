using Platform.Server.Tests.Infrastructure;

namespace Platform.Server.Tests.AdminTools;

/// <summary>A server with small admin-tool limits, so paging and bounds show with a handful of documents, and SMTP credentials to mask.</summary>
public sealed class AdminToolsFixture : ServerFixture
{
    public const string SmtpPassword = "Smtp-Secret-4242";

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Baas:AdminTools:PageSize"] = "2",
        ["Baas:AdminTools:SchemaCheckMaxDocuments"] = "5",
        ["Baas:AdminTools:SchemaCheckSamples"] = "2",
        ["Baas:AdminTools:BulkMaxDocuments"] = "6",
        ["Baas:AdminTools:ImportMaxRows"] = "8",
        ["Baas:AdminTools:ImportMaxLineBytes"] = "2048",
        ["Baas:AdminTools:ImportMaxErrors"] = "3",
        ["Baas:Email:Smtp:Host"] = "smtp.invalid",
        ["Baas:Email:Smtp:Username"] = "mailer",
        ["Baas:Email:Smtp:Password"] = SmtpPassword,
        ["Baas:Email:Smtp:FromAddress"] = "noreply@test.local",
    };
}
