namespace Platform.Sdk;

/// <summary>The answer of <see cref="BaasClient.GetHealthAsync"/>.</summary>
/// <param name="Ready">Whether the server is ready: it answered and its storage answers.</param>
/// <param name="Status">The HTTP status of the readiness check (200 when ready, 503 while storage does not answer).</param>
public sealed record BaasHealth(bool Ready, int Status);
