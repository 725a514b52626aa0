using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Platform.Server.Functions;
using Platform.Server.Tests.Infrastructure;

namespace Platform.Server.Tests.Functions;

public sealed class FunctionCatalogTests(FunctionServerFixture fixture) : IClassFixture<FunctionServerFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Catalog_SeesLocalChangesAtOnce_AndRaisesChanged()
    {
        var catalog = fixture.Server.Services.GetRequiredService<IFunctionCatalog>();
        var name = FunctionServerFixture.NewName();
        var changed = new List<string>();
        void OnChanged(string n)
        {
            lock (changed)
            {
                changed.Add(n);
            }
        }

        catalog.Changed += OnChanged;
        try
        {
            Assert.Null(await catalog.GetAsync(name, Ct));   // cached as absent
            await fixture.CreateAsync(name: name, cancellationToken: Ct);
            Assert.Equal(1, (await catalog.GetAsync(name, Ct))!.Version);
            Assert.Contains(await catalog.ListAsync(Ct), f => f.Name == name);

            await HttpAssert.StatusAsync(HttpStatusCode.OK, await fixture.Service.SendJsonAsync(HttpMethod.Put, $"/api/admin/functions/{name}", """{ "code": "v2" }"""));
            Assert.Equal("v2", (await catalog.GetAsync(name, Ct))!.Code);
            Assert.Equal("export default async function (ctx) { return 1; }", (await catalog.GetVersionAsync(name, 1, Ct))!.Code);

            await HttpAssert.StatusAsync(HttpStatusCode.NoContent, await fixture.Service.DeleteAsync($"/api/admin/functions/{name}", Ct));
            Assert.Null(await catalog.GetAsync(name, Ct));
            Assert.DoesNotContain(await catalog.ListAsync(Ct), f => f.Name == name);
        }
        finally
        {
            catalog.Changed -= OnChanged;
        }

        lock (changed)
        {
            Assert.Equal([name, name, name], changed.Where(n => n == name));
        }
    }
}
