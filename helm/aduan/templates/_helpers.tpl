{{/*
Names, labels and the few computed values every template shares.
*/}}

{{/* The components, in a fixed order (rendering is deterministic). */}}
{{- define "aduan.componentNames" -}}
intake triage investigation feedback reporting
{{- end }}

{{/*
Every Deployment of the chart: the five gRPC components, then the web console, whose values are
`console` rather than `components.console`. Templates that range over it pick a name's values with
  eq $name "console" | ternary $.Values.console (index $.Values.components $name)
*/}}
{{- define "aduan.workloadNames" -}}
{{ include "aduan.componentNames" . }} console
{{- end }}

{{/* The services the console calls (endpoints.<name>); it runs none of them itself. */}}
{{- define "aduan.consolePeers" -}}
intake triage investigation feedback reporting
{{- end }}

{{/* The services whose relays deliver events to the console's inbox (its notifications; the
routes to "console" in crates/runtime/src/relay.rs ROUTES). */}}
{{- define "aduan.consoleSources" -}}
intake triage investigation
{{- end }}

{{/* gRPC health service name of a component; the console: "" (the server as a whole). */}}
{{- define "aduan.healthService" -}}
{{- $m := dict "intake" "aduan.intake.v1.IntakeService" "triage" "aduan.triage.v1.TriageService" "investigation" "aduan.investigation.v1.InvestigationService" "feedback" "aduan.feedback.v1.FeedbackService" "reporting" "aduan.reporting.v1.ReportingService" "console" "" -}}
{{- index $m . -}}
{{- end }}

{{- define "aduan.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Release-wide prefix of every resource name. Kept short: component names are appended. */}}
{{- define "aduan.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 40 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "aduan.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels common to every resource of the release. */}}
{{- define "aduan.labels" -}}
helm.sh/chart: {{ include "aduan.chart" . }}
app.kubernetes.io/name: {{ include "aduan.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: aduan
{{- end }}

{{/* Selector labels of a component; call with (dict "root" $ "component" "intake"). */}}
{{- define "aduan.selectorLabels" -}}
app.kubernetes.io/name: {{ include "aduan.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "aduan.componentLabels" -}}
{{ include "aduan.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* Resource name of a component: <fullname>-<component>. */}}
{{- define "aduan.componentFullname" -}}
{{- printf "%s-%s" (include "aduan.fullname" .root) .component }}
{{- end }}

{{- define "aduan.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "aduan.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "aduan.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* Name of the CloudNativePG cluster of a component. */}}
{{- define "aduan.cnpgClusterName" -}}
{{- printf "%s-db" (include "aduan.componentFullname" .) }}
{{- end }}

{{/* Secret and key holding a component's database URL: CloudNativePG's app secret, or an existing one. */}}
{{- define "aduan.databaseSecretRef" -}}
{{- $console := eq .component "console" -}}
{{- $c := $console | ternary .root.Values.console (index .root.Values.components .component) -}}
{{- if .root.Values.cnpg.enabled -}}
name: {{ include "aduan.cnpgClusterName" . }}-app
key: uri
{{- else -}}
name: {{ required (printf "%s.database.existingSecret is required when cnpg.enabled is false" ($console | ternary "console" (printf "components.%s" .component))) $c.database.existingSecret }}
key: {{ $c.database.key }}
{{- end }}
{{- end }}

{{/* The console's public address: console.publicUrl, else https://<console.ingress.host>. */}}
{{- define "aduan.consolePublicUrl" -}}
{{- $c := .Values.console -}}
{{- if $c.publicUrl -}}
{{- trimSuffix "/" $c.publicUrl -}}
{{- else if and $c.ingress.enabled $c.ingress.host -}}
https://{{ $c.ingress.host }}
{{- end -}}
{{- end }}

{{/*
The console's OIDC issuer when the values know it: console.oidc.issuerUrl, else auth.issuer
(inline auth). Empty with auth.existingSecret: the pod reads the Secret's key issuer (aduan.env).
*/}}
{{- define "aduan.consoleIssuer" -}}
{{- if .Values.console.oidc.issuerUrl -}}
{{- .Values.console.oidc.issuerUrl -}}
{{- else if not .Values.auth.existingSecret -}}
{{- .Values.auth.issuer -}}
{{- end -}}
{{- end }}

{{/* Pod security context shared by every pod of the chart. */}}
{{- define "aduan.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 65532
runAsGroup: 65532
fsGroup: 65532
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{- define "aduan.containerSecurityContext" -}}
runAsNonRoot: true
runAsUser: 65532
runAsGroup: 65532
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
privileged: false
capabilities:
  drop:
    - ALL
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/* Checks that cannot be said in values.schema.json. */}}
{{- define "aduan.validate" -}}
{{- $s := .Values.shutdown -}}
{{- $con := .Values.console -}}
{{- if $con.enabled -}}
{{- if and (not $con.oidc.issuerUrl) (not .Values.auth.existingSecret) (not .Values.auth.issuer) -}}
{{- fail (printf "console: staff sign in at the OIDC provider%s, so it needs an issuer: set console.oidc.issuerUrl, or auth.issuer (or auth.existingSecret) which it follows. Local accounts (auth.local_signing) sign with one pod's own key and cannot work across replicas" (ternary " in cluster mode (cluster.enabled)" "" .Values.cluster.enabled)) -}}
{{- end -}}
{{- if and $con.ingress.enabled (not $con.ingress.host) -}}
{{- fail "console.ingress.host is required when console.ingress.enabled is true" -}}
{{- end -}}
{{- if not (include "aduan.consolePublicUrl" .) -}}
{{- fail "console: set console.publicUrl (or console.ingress.host): the OIDC provider sends staff back to <publicUrl>/staf/masuk/kembali" -}}
{{- end -}}
{{- range $name := splitList " " (include "aduan.consolePeers" .) -}}
{{- if not (index $.Values.components $name).enabled -}}
{{- fail (printf "console.enabled needs components.%s.enabled: the console calls intake, triage, investigation and reporting" $name) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- if le (float64 .Values.retention.seenEventIdsDays) (float64 .Values.retention.deliveredEventsDays) -}}
{{- fail "retention.seenEventIdsDays must be longer than retention.deliveredEventsDays: a redelivered event must find its id remembered" -}}
{{- end -}}
{{- if le (float64 .Values.terminationGracePeriodSeconds) (addf $s.drainSeconds $s.timeoutSeconds) -}}
{{- fail (printf "terminationGracePeriodSeconds (%v) must exceed shutdown.drainSeconds + shutdown.timeoutSeconds (%v)" .Values.terminationGracePeriodSeconds (addf $s.drainSeconds $s.timeoutSeconds)) -}}
{{- end -}}
{{- if not .Values.auth.existingSecret -}}
{{- if or (not .Values.auth.issuer) (not .Values.auth.jwksUrl) -}}
{{- fail "auth: set auth.existingSecret, or auth.issuer and auth.jwksUrl" -}}
{{- end -}}
{{- end -}}
{{- $any := false -}}
{{- range $name := splitList " " (include "aduan.componentNames" .) -}}
{{- if (index $.Values.components $name).enabled }}{{ $any = true }}{{ end -}}
{{- end -}}
{{- if not $any -}}
{{- fail "enable at least one of components.*" -}}
{{- end -}}
{{- end }}

{{/* A TOML float (always with a decimal point). */}}
{{- define "aduan.tomlFloat" -}}
{{- $v := float64 . -}}
{{- if eq $v (floor $v) }}{{ printf "%.1f" $v }}{{ else }}{{ $v }}{{ end -}}
{{- end }}

{{/* Paths where the secrets are mounted. */}}
{{- define "aduan.cryptoKeysPath" -}}
/etc/aduan-secrets/crypto/{{ .Values.crypto.key }}
{{- end }}
{{- define "aduan.serviceKeysDir" -}}
/etc/aduan-secrets/service-key
{{- end }}
{{- define "aduan.serviceJwksPath" -}}
/etc/aduan-secrets/service-jwks/jwks.json
{{- end }}
{{- define "aduan.oidcClientSecretPath" -}}
/etc/aduan-secrets/oidc-client/client-secret
{{- end }}

{{/* The TOML configuration file of a component; call with (dict "root" $ "component" "intake"). */}}
{{- define "aduan.configToml" -}}
{{- $root := .root -}}
{{- $v := $root.Values -}}
{{- $console := eq .component "console" -}}
{{- $c := $console | ternary $v.console (index $v.components .component) -}}
# aduan configuration of the {{ .component }} component, rendered by the Helm chart.
# Secrets (database URL{{ if $v.auth.existingSecret }}, OIDC settings{{ end }}) come from the environment.
{{- if $console }}
# services = "console" (ADUAN_SERVICES): no gRPC service runs here; 50051 answers health and the
# console's event inbox (the notifications intake, triage and investigation deliver).
{{- end }}
listen = "0.0.0.0:50051"
data_dir = "/var/lib/aduan"
province = {{ $v.province | toJson }}

[log]
level = {{ $v.log.level | toJson }}
format = {{ $v.log.format | toJson }}

[metrics]
listen = "0.0.0.0:9464"

[auth]
{{- if not $v.auth.existingSecret }}
issuer = {{ $v.auth.issuer | toJson }}
audience = {{ $v.auth.audience | toJson }}
jwks_url = {{ $v.auth.jwksUrl | toJson }}
{{- end }}
local_signing = false
service_keys_dir = {{ include "aduan.serviceKeysDir" $root | toJson }}
service_jwks_file = {{ include "aduan.serviceJwksPath" $root | toJson }}

{{- if not $console }}

[crypto]
keys_file = {{ include "aduan.cryptoKeysPath" $root | toJson }}
{{- end }}

[shutdown]
drain_seconds = {{ include "aduan.tomlFloat" $v.shutdown.drainSeconds }}
timeout_seconds = {{ include "aduan.tomlFloat" $v.shutdown.timeoutSeconds }}

# The event spine's housekeeping (docs/privacy.md, "Retention").
[relay]
keep_delivered_days = {{ include "aduan.tomlFloat" $v.retention.deliveredEventsDays }}
keep_seen_days = {{ include "aduan.tomlFloat" $v.retention.seenEventIdsDays }}

# Cluster mode: Office/HolidayCalendar watches and Lease leader election in the pod's namespace.
[cluster]
enabled = {{ $v.cluster.enabled }}
lease_seconds = {{ int $v.cluster.leaseSeconds }}

{{- if $console }}

# The web console (docs/console.md). Staff sign in at the OIDC provider; register
# {{ include "aduan.consolePublicUrl" $root }}/staf/masuk/kembali as its redirect URI.
[console]
listen = "0.0.0.0:8080"
public_url = {{ include "aduan.consolePublicUrl" $root | toJson }}
trusted_proxies = {{ join "," $c.trustedProxies | toJson }}
max_connections = {{ int $c.database.maxConnections }}
session_idle_minutes = {{ int $c.session.idleMinutes }}
session_max_hours = {{ int $c.session.maxHours }}

[console.oidc]
{{- with include "aduan.consoleIssuer" $root }}
issuer_url = {{ . | toJson }}
{{- end }}
client_id = {{ $c.oidc.clientId | toJson }}
{{- if $c.oidc.clientSecret.existingSecret }}
client_secret_file = {{ include "aduan.oidcClientSecretPath" $root | toJson }}
{{- end }}
scopes = {{ $c.oidc.scopes | toJson }}

# The services it calls, each in its own Deployment.
[endpoints]
{{- range $name := splitList " " (include "aduan.consolePeers" $root) }}
{{ $name }} = {{ printf "http://%s:50051" (include "aduan.componentFullname" (dict "root" $root "component" $name)) | toJson }}
{{- end }}
{{- else }}

[{{ .component }}]
max_connections = {{ int $c.database.maxConnections }}
{{- if and (eq .component "intake") $v.console.enabled $v.console.intakeTrustedProxies }}
# The console's pods, whose X-Forwarded-For names the citizen for public tracking's limit.
trusted_proxies = {{ join "," $v.console.intakeTrustedProxies | toJson }}
{{- end }}
{{- if eq .component "investigation" }}
storage_dir = {{ ternary "/var/lib/aduan-evidence" "/var/lib/aduan/evidence" (ne $v.casework.evidenceClaim "") | toJson }}
max_file_bytes = {{ int64 $v.casework.maxEvidenceBytes }}
{{- end }}
{{- if eq .component "feedback" }}
silence_working_days = {{ int $v.casework.silenceWorkingDays }}
{{- end }}
{{- $peers := list -}}
{{- range $name := splitList " " (include "aduan.componentNames" $root) -}}
{{- if and (ne $name $.component) (index $v.components $name).enabled -}}
{{- $peers = append $peers $name -}}
{{- end -}}
{{- end }}
{{- $toConsole := and $v.console.enabled (has .component (splitList " " (include "aduan.consoleSources" $root))) }}
{{- if or $peers $toConsole }}

# Peer components, each in its own Deployment.
[endpoints]
{{- range $name := $peers }}
{{ $name }} = {{ printf "http://%s:50051" (include "aduan.componentFullname" (dict "root" $root "component" $name)) | toJson }}
{{- end }}
{{- if $toConsole }}
# The console's event inbox (its notifications).
console = {{ printf "http://%s:50051" (include "aduan.componentFullname" (dict "root" $root "component" "console")) | toJson }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}

{{/* The environment of a component's server container. */}}
{{- define "aduan.env" -}}
{{- $root := .root -}}
{{- $v := $root.Values -}}
- name: K8S_POD_NAME
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
- name: K8S_NAMESPACE_NAME
  valueFrom:
    fieldRef:
      fieldPath: metadata.namespace
- name: K8S_NODE_NAME
  valueFrom:
    fieldRef:
      fieldPath: spec.nodeName
- name: ADUAN_CONFIG
  value: /etc/aduan/aduan.toml
- name: ADUAN_SERVICES
  value: {{ .component }}
- name: ADUAN_{{ upper .component }}__DATABASE_URL
  valueFrom:
    secretKeyRef:
      {{- include "aduan.databaseSecretRef" . | nindent 6 }}
{{- with $v.auth.existingSecret }}
- name: ADUAN_AUTH__ISSUER
  valueFrom:
    secretKeyRef:
      name: {{ . }}
      key: issuer
- name: ADUAN_AUTH__AUDIENCE
  valueFrom:
    secretKeyRef:
      name: {{ . }}
      key: audience
- name: ADUAN_AUTH__JWKS_URL
  valueFrom:
    secretKeyRef:
      name: {{ . }}
      key: jwks-url
{{- if and (eq $.component "console") (not $v.console.oidc.issuerUrl) }}
# The console signs staff in at the same provider whose tokens the services verify.
- name: ADUAN_CONSOLE__OIDC__ISSUER_URL
  valueFrom:
    secretKeyRef:
      name: {{ . }}
      key: issuer
{{- end }}
{{- end }}
- name: OTEL_SERVICE_NAME
  value: aduan-{{ .component }}
{{- with $v.telemetry.otlpEndpoint }}
- name: OTEL_EXPORTER_OTLP_ENDPOINT
  value: {{ . | quote }}
{{- end }}
{{- $attrs := list "service.namespace=aduan" (printf "service.version=%s" (default $root.Chart.AppVersion $v.image.tag)) "k8s.namespace.name=$(K8S_NAMESPACE_NAME)" "k8s.pod.name=$(K8S_POD_NAME)" "k8s.node.name=$(K8S_NODE_NAME)" (printf "k8s.deployment.name=%s" (include "aduan.componentFullname" .)) }}
{{- range $k, $val := $v.telemetry.resourceAttributes }}
{{- $attrs = append $attrs (printf "%s=%s" $k $val) }}
{{- end }}
- name: OTEL_RESOURCE_ATTRIBUTES
  value: {{ join "," $attrs | quote }}
{{- end }}

{{/* Volume mounts of a server container. */}}
{{- define "aduan.volumeMounts" -}}
- name: config
  mountPath: /etc/aduan
  readOnly: true
{{- if ne .component "console" }}
{{- /* The console holds no office key: it reads personal data only through the services. */}}
- name: crypto-keys
  mountPath: /etc/aduan-secrets/crypto
  readOnly: true
{{- end }}
- name: service-key
  mountPath: /etc/aduan-secrets/service-key
  readOnly: true
- name: service-jwks
  mountPath: /etc/aduan-secrets/service-jwks
  readOnly: true
- name: data
  mountPath: /var/lib/aduan
- name: tmp
  mountPath: /tmp
{{- if and (eq .component "investigation") .root.Values.casework.evidenceClaim }}
- name: evidence
  mountPath: /var/lib/aduan-evidence
{{- end }}
{{- if and (eq .component "console") .root.Values.console.oidc.clientSecret.existingSecret }}
- name: oidc-client
  mountPath: /etc/aduan-secrets/oidc-client
  readOnly: true
{{- end }}
{{- end }}

{{- define "aduan.volumes" -}}
{{- $v := .root.Values -}}
{{- $c := eq .component "console" | ternary $v.console (index $v.components .component) -}}
- name: config
  configMap:
    name: {{ include "aduan.componentFullname" . }}
{{- if ne .component "console" }}
- name: crypto-keys
  secret:
    secretName: {{ $v.crypto.existingSecret }}
    defaultMode: 0440
    items:
      - key: {{ $v.crypto.key }}
        path: {{ $v.crypto.key }}
{{- end }}
- name: service-key
  secret:
    secretName: {{ printf "%s-%s" $v.serviceKeys.secretPrefix .component }}
    defaultMode: 0440
    items:
      - key: {{ $v.serviceKeys.key }}
        path: {{ .component }}.pem
- name: service-jwks
  configMap:
    name: {{ $v.serviceKeys.jwksConfigMap }}
    items:
      - key: jwks.json
        path: jwks.json
- name: data
  emptyDir:
    sizeLimit: {{ $c.dataSizeLimit }}
- name: tmp
  emptyDir:
    medium: Memory
    sizeLimit: 16Mi
{{- if and (eq .component "investigation") $v.casework.evidenceClaim }}
- name: evidence
  persistentVolumeClaim:
    claimName: {{ $v.casework.evidenceClaim }}
{{- end }}
{{- if and (eq .component "console") $v.console.oidc.clientSecret.existingSecret }}
- name: oidc-client
  secret:
    secretName: {{ $v.console.oidc.clientSecret.existingSecret }}
    defaultMode: 0440
    items:
      - key: {{ $v.console.oidc.clientSecret.key }}
        path: client-secret
{{- end }}
{{- end }}
