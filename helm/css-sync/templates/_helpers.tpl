{{/* Chart name, truncated to the 63 characters a label value allows. */}}
{{- define "css-sync.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Fully qualified name. The CronJob name is capped at 52 characters because the controller
appends an 11-character suffix to the Jobs it creates.
*/}}
{{- define "css-sync.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 52 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "css-sync.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "css-sync.selectorLabels" -}}
app.kubernetes.io/name: {{ include "css-sync.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "css-sync.labels" -}}
helm.sh/chart: {{ include "css-sync.chart" . }}
{{ include "css-sync.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "css-sync.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "css-sync.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "css-sync.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}

{{/* The Secret holding the CSS OAuth client secret (and, optionally, the client id). */}}
{{- define "css-sync.cssSecretName" -}}
{{- default (printf "%s-css" (include "css-sync.fullname" .)) .Values.css.existingSecret }}
{{- end }}

{{/* Where the CSS client secret file is mounted; CSS_CLIENT_SECRET_FILE points inside it. */}}
{{- define "css-sync.cssSecretDir" -}}
/var/run/secrets/css-sync
{{- end }}

{{/*
One environment value as a string. Helm reads YAML numbers as float64, which would print
large counts in exponent form; integral numbers are printed as integers.
*/}}
{{- define "css-sync.envValue" -}}
{{- if kindIs "float64" . }}
{{- if eq (float64 (int64 .)) . }}{{ int64 . }}{{ else }}{{ . }}{{ end }}
{{- else if kindIs "slice" . }}
{{- join "," . }}
{{- else }}
{{- toString . }}
{{- end }}
{{- end }}
