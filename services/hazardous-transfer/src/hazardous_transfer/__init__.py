"""hazardous-transfer: inter-provincial transfer approvals and electronic transfer manifests
(联单) of hazardous waste, after 《危险废物转移管理办法》 (DOMAIN.md section 5)."""
