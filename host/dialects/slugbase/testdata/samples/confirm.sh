curl -X POST "//api/auth/mfa/enroll/confirm" \
-H "Content-Type: application/json" \
-H "Authorization: Bearer YOUR_API_TOKEN (API token)" \
-d '{
"code": "example_string"
}'
