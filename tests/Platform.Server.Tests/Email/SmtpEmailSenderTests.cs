using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using MimeKit;
using Platform.Server.Email;
using Platform.Server.Tests.Infrastructure;

namespace Platform.Server.Tests.Email;

public class SmtpEmailSenderTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Dictionary<string, string?> SmtpSettings(int port, bool withCredentials = false)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Baas:Email:Smtp:Host"] = "127.0.0.1",
            ["Baas:Email:Smtp:Port"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Baas:Email:Smtp:Security"] = "None",
            ["Baas:Email:Smtp:FromAddress"] = "noreply@baas.test",
            ["Baas:Email:Smtp:FromName"] = "Baas",
            ["Baas:Email:Smtp:Timeout"] = "00:00:20",
        };
        if (withCredentials)
        {
            settings["Baas:Email:Smtp:Username"] = "mailer";
            settings["Baas:Email:Smtp:Password"] = "s3cret";
        }

        return settings;
    }

    [Fact]
    public async Task Smtp_DeliversTheMessage_WhenAHostIsConfigured()
    {
        await using var smtp = new FakeSmtpServer();
        await using var server = await BaasTestServer.StartAsync(SmtpSettings(smtp.Port, withCredentials: true));
        var sender = server.Services.GetRequiredService<IEmailSender>();

        await sender.SendAsync(new EmailMessage("alice@example.test", "Reset your password", "Your code: 123456\n.leading dot"), Ct);

        var mail = await smtp.Received.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        Assert.Contains("<noreply@baas.test>", mail.From, StringComparison.Ordinal);
        Assert.Equal(["RCPT TO:<alice@example.test>"], mail.Recipients);
        var plain = Encoding.UTF8.GetString(Convert.FromBase64String(mail.AuthLine!.Split(' ')[2]));
        Assert.Equal("\0mailer\0s3cret", plain);
        using var message = MimeMessage.Load(new MemoryStream(Encoding.ASCII.GetBytes(mail.Data)), Ct);
        Assert.Equal("Reset your password", message.Subject);
        Assert.Equal("alice@example.test", message.To.Mailboxes.Single().Address);
        Assert.Equal("Baas", message.From.Mailboxes.Single().Name);
        Assert.Equal("Your code: 123456\n.leading dot", message.TextBody!.ReplaceLineEndings("\n").TrimEnd('\n'));
    }

    [Fact]
    public async Task Smtp_MessagesSkipTheOutbox_WhenAHostIsConfigured()
    {
        await using var smtp = new FakeSmtpServer();
        await using var server = await BaasTestServer.StartAsync(SmtpSettings(smtp.Port));
        await server.Services.GetRequiredService<IEmailSender>().SendAsync(new EmailMessage("bob@example.test", "Hi", "Hello"), Ct);
        await smtp.Received.WaitAsync(TimeSpan.FromSeconds(30), Ct);

        using var admin = await server.CreateAdminClientAsync(Ct);
        using var response = await admin.GetAsync("/api/admin/outbox", Ct);

        var page = (await HttpAssert.StatusAsync(HttpStatusCode.OK, response))!;
        Assert.Empty(page["items"]!.AsArray());
    }

    [Fact]
    public async Task Smtp_ThrowsEmailDeliveryException_WhenTheServerIsUnreachable()
    {
        // A port that was just free: nothing listens there, so the connection is refused.
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var services = new ServiceCollection()
            .AddLogging()
            .AddSingleton<Platform.Server.Storage.IDocumentStore>(new Platform.Server.Tests.Auth.InMemoryDocumentStore())
            .AddBaasEmail(new ConfigurationBuilder().AddInMemoryCollection(SmtpSettings(port)).Build())
            .BuildServiceProvider();

        var sender = services.GetRequiredService<IEmailSender>();

        var error = await Assert.ThrowsAsync<EmailDeliveryException>(() => sender.SendAsync(new EmailMessage("c@example.test", "s", "b"), Ct));
        Assert.NotNull(error.InnerException);
    }

    [Theory]
    [InlineData(null, null, null)]
    [InlineData("not an address", null, null)]
    [InlineData("noreply@baas.test", "user-without-password", null)]
    public void SmtpOptions_FailValidation_WhenAHostIsSetWithoutAUsableSenderOrCredentials(string? from, string? user, string? password)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Baas:Email:Smtp:Host"] = "smtp.example.test",
            ["Baas:Email:Smtp:FromAddress"] = from,
            ["Baas:Email:Smtp:Username"] = user,
            ["Baas:Email:Smtp:Password"] = password,
        };
        using var services = new ServiceCollection()
            .AddLogging()
            .AddBaasEmail(new ConfigurationBuilder().AddInMemoryCollection(settings).Build())
            .BuildServiceProvider();

        Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<SmtpOptions>>().Value);
    }

    [Fact]
    public void SmtpOptions_AreValid_WithoutAHost()
    {
        using var services = new ServiceCollection()
            .AddLogging()
            .AddBaasEmail(new ConfigurationBuilder().Build())
            .BuildServiceProvider();

        Assert.False(services.GetRequiredService<IOptions<SmtpOptions>>().Value.Enabled);
        Assert.Equal(1000, services.GetRequiredService<IOptions<EmailOptions>>().Value.OutboxLimit);
    }
}
