{{/*
Names, labels and the few computed values every template shares.
*/}}

{{/* The components, in a fixed order (rendering is deterministic). */}}
{{- define "aduan.componentNames" -}}
intake triage investigation feedback reporting
{{- end }}

{{/* gRPC health service name of a component. */}}
{{- define "aduan.healthService" -}}
{{- $m := dict "intake" "aduan.intake.v1.IntakeService" "triage" "aduan.triage.v1.TriageService" "investigation" "aduan.investigation.v1.InvestigationService" "feedback" "aduan.feedback.v1.FeedbackService" "reporting" "aduan.reporting.v1.ReportingService" -}}
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
{{- $c := index .root.Values.components .component -}}
{{- if .root.Values.cnpg.enabled -}}
name: {{ include "aduan.cnpgClusterName" . }}-app
key: uri
{{- else -}}
name: {{ required (printf "components.%s.database.existingSecret is required when cnpg.enabled is false" .component) $c.database.existingSecret }}
key: {{ $c.database.key }}
{{- end }}
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

{{/* The TOML configuration file of a component; call with (dict "root" $ "component" "intake"). */}}
{{- define "aduan.configToml" -}}
{{- $root := .root -}}
{{- $v := $root.Values -}}
{{- $c := index $v.components .component -}}
# aduan configuration of the {{ .component }} component, rendered by the Helm chart.
# Secrets (database URL{{ if $v.auth.existingSecret }}, OIDC settings{{ end }}) come from the environment.
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

[crypto]
keys_file = {{ include "aduan.cryptoKeysPath" $root | toJson }}

[shutdown]
drain_seconds = {{ include "aduan.tomlFloat" $v.shutdown.drainSeconds }}
timeout_seconds = {{ include "aduan.tomlFloat" $v.shutdown.timeoutSeconds }}

# Cluster mode: Office/HolidayCalendar watches and Lease leader election in the pod's namespace.
[cluster]
enabled = {{ $v.cluster.enabled }}
lease_seconds = {{ int $v.cluster.leaseSeconds }}

[{{ .component }}]
max_connections = {{ int $c.database.maxConnections }}
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
{{- if $peers }}

# Peer components, each in its own Deployment.
[endpoints]
{{- range $name := $peers }}
{{ $name }} = {{ printf "http://%s:50051" (include "aduan.componentFullname" (dict "root" $root "component" $name)) | toJson }}
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
- name: crypto-keys
  mountPath: /etc/aduan-secrets/crypto
  readOnly: true
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
{{- end }}

{{- define "aduan.volumes" -}}
{{- $v := .root.Values -}}
- name: config
  configMap:
    name: {{ include "aduan.componentFullname" . }}
- name: crypto-keys
  secret:
    secretName: {{ $v.crypto.existingSecret }}
    defaultMode: 0440
    items:
      - key: {{ $v.crypto.key }}
        path: {{ $v.crypto.key }}
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
    sizeLimit: {{ (index $v.components .component).dataSizeLimit }}
- name: tmp
  emptyDir:
    medium: Memory
    sizeLimit: 16Mi
{{- if and (eq .component "investigation") $v.casework.evidenceClaim }}
- name: evidence
  persistentVolumeClaim:
    claimName: {{ $v.casework.evidenceClaim }}
{{- end }}
{{- end }}
