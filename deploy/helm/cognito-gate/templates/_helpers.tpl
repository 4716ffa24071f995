{{/* The chart's name, as Kubernetes names allow. */}}
{{- define "cognito-gate.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The release's objects' name. */}}
{{- define "cognito-gate.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "cognito-gate.selectorLabels" -}}
app.kubernetes.io/name: {{ include "cognito-gate.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "cognito-gate.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "cognito-gate.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/component: {{ .Values.mode }}
{{- end -}}

{{/* Whether the NetworkPolicy is rendered: networkPolicy.enabled, "auto" meaning forward-auth mode. */}}
{{- define "cognito-gate.networkPolicy" -}}
{{- $e := .Values.networkPolicy.enabled -}}
{{- if or (eq (toString $e) "true") (and (eq (toString $e) "auto") (eq .Values.mode "forward-auth")) -}}
true
{{- end -}}
{{- end -}}

{{/* gate.yaml: the user's config with what the chart owns set over it. */}}
{{- define "cognito-gate.config" -}}
{{- $c := deepCopy (default dict .Values.config) -}}
{{- $_ := set $c "listen" (printf "0.0.0.0:%d" (int .Values.ports.http)) -}}
{{- $_ := set $c "admin_listen" (printf "0.0.0.0:%d" (int .Values.ports.admin)) -}}
{{- $_ := set $c "policy_file" "policy.yaml" -}}
{{- $server := deepCopy (default dict $c.server) -}}
{{- $_ := set $server "drain_delay" (printf "%ds" (int .Values.lifecycle.drainDelaySeconds)) -}}
{{- $_ := set $server "shutdown_timeout" (printf "%ds" (int .Values.lifecycle.shutdownTimeoutSeconds)) -}}
{{- $_ := set $c "server" $server -}}
{{- if .Values.tls.enabled -}}
{{- $_ := set $c "tls" (dict "cert_file" "/etc/cognito-gate-tls/tls.crt" "key_file" "/etc/cognito-gate-tls/tls.key") -}}
{{- if .Values.tls.admin -}}
{{- $_ := set $c "admin_tls" (dict "cert_file" "/etc/cognito-gate-tls/tls.crt" "key_file" "/etc/cognito-gate-tls/tls.key") -}}
{{- end -}}
{{- end -}}
{{- toYaml $c -}}
{{- end -}}
