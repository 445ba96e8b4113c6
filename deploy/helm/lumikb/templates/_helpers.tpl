{{/* Chart name, truncated to the 63 characters Kubernetes allows in names. */}}
{{- define "lumikb.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name prefix of every resource: <release>-lumikb unless overridden. */}}
{{- define "lumikb.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* Labels on every resource. */}}
{{- define "lumikb.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ include "lumikb.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: lumikb
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Selector labels of one service; call with (dict "root" $ "service" "auth"). */}}
{{- define "lumikb.selectorLabels" -}}
app.kubernetes.io/name: {{ include "lumikb.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .service }}
{{- end }}

{{/* Name of one service's resources: <fullname>-<service>. */}}
{{- define "lumikb.serviceName" -}}
{{- printf "%s-%s" (include "lumikb.fullname" .root) .service | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* In-cluster URL of one service; call with (dict "root" $ "service" "auth"). */}}
{{- define "lumikb.serviceUrl" -}}
{{- $values := index .root.Values.services .service -}}
{{- printf "http://%s:%v" (include "lumikb.serviceName" .) $values.port }}
{{- end }}

{{/* Image of one service. */}}
{{- define "lumikb.image" -}}
{{- printf "%s-%s:%s" .root.Values.image.repository .service (default .root.Chart.AppVersion .root.Values.image.tag) }}
{{- end }}

{{/* Name of the Secret holding the credentials. */}}
{{- define "lumikb.secretName" -}}
{{- if .Values.secrets.existingSecret }}
{{- .Values.secrets.existingSecret }}
{{- else }}
{{- printf "%s-secrets" (include "lumikb.fullname" .) }}
{{- end }}
{{- end }}

{{- define "lumikb.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "lumikb.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
Secret keys each service receives, as "ENV_VAR=secret-key" pairs: a service sees only
the credentials it uses (only auth holds the signing key).
*/}}
{{- define "lumikb.secretEnv" -}}
{{- $common := list "DATABASE_URL=database-url" "JWT_PUBLIC_KEY=jwt-public-key" "SERVICE_CLIENT_SECRET=service-client-secret" -}}
{{- $llm := list "LITELLM_MASTER_KEY=litellm-master-key" -}}
{{- $extra := dict
  "gateway" (list)
  "auth" (list "JWT_PRIVATE_KEY=jwt-private-key" "LUMIKB_ADMIN_PASSWORD=admin-password")
  "registry" (concat (list "ENCRYPTION_KEYS=encryption-keys") $llm)
  "knowledge-base" $llm
  "ingestion-worker" $llm
  "proxy-sync" $llm
-}}
{{- join "\n" (concat $common (index $extra .service)) }}
{{- end }}
