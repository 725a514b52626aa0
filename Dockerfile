# syntax=docker/dockerfile:1
# Baas server image: build with the .NET SDK, run on the ASP.NET Core runtime as a non-root user.
#   docker build -t baas .
#   docker run -p 8090:8090 -v baas_data:/data -e Baas__Admin__Email=... -e Baas__Admin__Password=... baas

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
# Restore first, from the project files only, so source edits do not invalidate the package layer.
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY Platform.Server/Platform.Server.csproj Platform.Server/
COPY Platform.Sdk/Platform.Sdk.csproj Platform.Sdk/
COPY Platform.Admin/Platform.Admin.csproj Platform.Admin/
# ReadyToRun needs the target architecture at restore time; BuildKit sets TARGETARCH (amd64, arm64).
ARG TARGETARCH
RUN dotnet restore Platform.Server/Platform.Server.csproj -a $TARGETARCH -p:Configuration=Release
COPY Platform.Server/ Platform.Server/
# The admin dashboard (Blazor WebAssembly) is published into the server's wwwroot/admin.
COPY Platform.Sdk/ Platform.Sdk/
COPY Platform.Admin/ Platform.Admin/
RUN dotnet publish Platform.Server/Platform.Server.csproj -c Release -a $TARGETARCH -o /app --no-restore /p:UseAppHost=false

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
# curl is not in the runtime image; the health check uses the server's own /health endpoint
# through bash's /dev/tcp, so the image needs no extra package.
ENV ASPNETCORE_URLS=http://+:8090 \
    Baas__DataDir=/data \
    DOTNET_CLI_TELEMETRY_OPTOUT=1 \
    Logging__LogLevel__Microsoft.AspNetCore=Warning
WORKDIR /app
COPY --from=build /app ./
# The aspnet image ships the non-root user "app" (uid 1654); the data dir must be writable by it.
RUN mkdir -p /data && chown app:app /data
USER app
VOLUME ["/data"]
EXPOSE 8090
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8090 && printf 'GET /health/ready HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && head -n1 <&3 | grep -q ' 200 '"]
ENTRYPOINT ["dotnet", "Platform.Server.dll"]
