import requests
import json
url = "//api/auth/mfa/enroll/confirm"
headers = {
"Content-Type": "application/json",
"Authorization": "Bearer YOUR_API_TOKEN (API token)"
}
data = {
"code": "example_string"
}
response = requests.post(url, headers=headers, json=data)
print(response.json())
