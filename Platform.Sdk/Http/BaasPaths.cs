namespace Platform.Sdk.Http;

/// <summary>Relative API paths with escaped segments.</summary>
internal static class BaasPaths
{
    public static string Documents(string collection) => "api/collections/" + Uri.EscapeDataString(collection) + "/documents";

    public static string Document(string collection, string id) => Documents(collection) + "/" + Uri.EscapeDataString(id);

    public static string Query(string collection) => "api/collections/" + Uri.EscapeDataString(collection) + "/query";

    public const string Batch = "api/batch";

    public const string AdminLogin = "api/admin/auth/login";

    public static string Function(string name) => "api/functions/" + Uri.EscapeDataString(name);

    public const string AdminFunctions = "api/admin/functions";

    public static string AdminFunction(string name) => AdminFunctions + "/" + Uri.EscapeDataString(name);

    public const string AdminFunctionSecrets = AdminFunctions + "/secrets";

    public const string AdminJobsSession = "api/admin/jobs/session";

    /// <summary>The jobs dashboard (Hangfire's), relative to the server's address.</summary>
    public const string JobsDashboard = "admin/jobs";

    public static string AdminFunctionSecret(string name) => AdminFunctionSecrets + "/" + Uri.EscapeDataString(name);

    public const string AdminMe = "api/admin/auth/me";

    public const string AdminSetup = "api/admin/setup";

    public const string Admins = "api/admin/admins";

    public const string HealthReady = "health/ready";

    public const string RealtimeTicket = "api/realtime/ticket";

    public const string AdminLogout = "api/admin/auth/logout";

    public const string AdminCollections = "api/admin/collections";

    public static string AdminCollection(string name) => AdminCollections + "/" + Uri.EscapeDataString(name);

    public static string AdminCollectionTool(string name, string tool) => AdminCollection(name) + "/" + tool;

    public const string AdminRealtime = "api/admin/realtime";

    public const string AdminAudit = "api/admin/audit";

    public const string AdminSettings = "api/admin/settings";

    public const string AdminOverview = "api/admin/overview";

    public const string ApiKeys = "api/admin/apikeys";

    public static string ApiKey(string id) => ApiKeys + "/" + Uri.EscapeDataString(id);

    public const string AuthSignUp = "api/auth/signup";

    public const string AuthLogin = "api/auth/login";

    public const string AuthAnonymous = "api/auth/anonymous";

    public const string AuthRefresh = "api/auth/refresh";

    public const string AuthLogout = "api/auth/logout";

    public const string AuthMe = "api/auth/me";

    public const string AuthForgotPassword = "api/auth/password/forgot";

    public const string AuthResetPassword = "api/auth/password/reset";

    public const string AuthRequestVerification = "api/auth/verify-email/request";

    public const string AuthConfirmEmail = "api/auth/verify-email/confirm";

    public const string AdminUsers = "api/admin/users";

    public const string AdminOutbox = "api/admin/outbox";

    public static string AdminUser(string id) => AdminUsers + "/" + Uri.EscapeDataString(id);

    public static string AdminUserPasswordReset(string id) => AdminUser(id) + "/password-reset";

    public static string AdminUserSessionsRevoke(string id) => AdminUser(id) + "/sessions/revoke";
}
