using System.Net;

namespace Platform.Admin.Services;

/// <summary>
/// Sits under the SDK's HTTP client: a 401 answered to a call that carried the current admin token means the
/// token expired (or its account is gone), whichever SDK call it was. The session then ends as expired, and the
/// layout sends the user to sign-in with the page they were on.
/// </summary>
public sealed class SessionExpiryHandler(DashboardSession session) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var response = await base.SendAsync(request, cancellationToken);
        if (response.StatusCode == HttpStatusCode.Unauthorized
            && request.Headers.Authorization is { Scheme: "Bearer", Parameter: { } token }
            && session.IsCurrentToken(token))
        {
            session.End(SessionChange.Expired);
        }

        return response;
    }
}
