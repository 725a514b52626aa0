using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Platform.Server.Tests.Infrastructure;

/// <summary>Assertions on HTTP answers that say what came back when they fail.</summary>
public static class HttpAssert
{
    /// <summary>Asserts the status and returns the JSON body (null for empty bodies).</summary>
    public static async Task<JsonObject?> StatusAsync(HttpStatusCode expected, HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(expected == response.StatusCode, $"expected {(int)expected} {expected}, got {(int)response.StatusCode} {response.StatusCode}: {text}");
        return text.Length == 0 ? null : JsonNode.Parse(text) as JsonObject;
    }

    /// <summary>Asserts an RFC 7807 problem with the status and code; returns it.</summary>
    public static async Task<JsonObject> ProblemAsync(HttpStatusCode expected, string code, HttpResponseMessage response)
    {
        var problem = await StatusAsync(expected, response);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.NotNull(problem);
        Assert.Equal(code, problem["code"]?.GetValue<string>());
        Assert.Equal((int)expected, problem["status"]?.GetValue<int>());
        Assert.False(string.IsNullOrEmpty(problem["title"]?.GetValue<string>()));
        return problem;
    }

    public static Task<HttpResponseMessage> PostJsonAsync(this HttpClient client, string url, string json) =>
        client.PostAsync(url, new StringContent(json, System.Text.Encoding.UTF8, "application/json"));

    public static Task<HttpResponseMessage> SendJsonAsync(this HttpClient client, HttpMethod method, string url, string json, string? ifMatch = null)
    {
        var request = new HttpRequestMessage(method, url) { Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json") };
        if (ifMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        }

        return client.SendAsync(request);
    }

    public static async Task<JsonObject> ReadJsonAsync(this HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<JsonObject>())!;
}
