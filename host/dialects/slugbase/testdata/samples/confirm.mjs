const response = await fetch("//api/auth/mfa/enroll/confirm", {
method: "POST",
headers: {
"Content-Type": "application/json",
"Authorization": "Bearer YOUR_API_TOKEN (API token)"
},
body: JSON.stringify({
"code": "example_string"
})
});
const data = await response.json();
console.log(data);
